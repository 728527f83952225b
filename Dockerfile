# Build a static binary, then ship it alone on a distroless base that runs
# as a non-root user and carries CA certificates for urlscan.io's TLS.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=1.0.0
RUN CGO_ENABLED=0 GOOS=linux go build -trimpath \
    -ldflags "-s -w -X main.version=${VERSION}" \
    -o /out/urlscan-relay ./cmd/urlscan-relay

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/urlscan-relay /urlscan-relay
USER nonroot:nonroot
EXPOSE 9090 9091
ENV PORT=9090
ENTRYPOINT ["/urlscan-relay"]
CMD ["serve"]
