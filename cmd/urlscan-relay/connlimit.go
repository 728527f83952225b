package main

// Connection limits: each client connection costs a file descriptor and
// about 20 KiB of memory.
const (
	// defaultMaxConnections keeps the memory of connections within about
	// 80 MiB and far above what SecureX opens.
	defaultMaxConnections = 4096
	// reservedFiles is the part of the file limit kept for the relay's own
	// needs: its calls to urlscan.io (at most 256 connections), the JWKS
	// hosts, Redis's pool, the metrics listener and the files it reads.
	reservedFiles = 512
)

// connectionLimit is the most client connections the relay holds open:
// MAX_CONNECTIONS (0: the default), never more than the file limit
// (nofile, 0: unknown) leaves after reservedFiles, or half of it when the
// limit is small. clamped reports that the configured value was lowered.
func connectionLimit(configured int, nofile uint64) (limit int, clamped bool) {
	limit = configured
	if limit == 0 {
		limit = defaultMaxConnections
	}
	if nofile == 0 {
		return limit, false
	}
	files := int(min(nofile, 1<<30))
	room := max(files-min(reservedFiles, files/2), 1)
	if limit > room {
		return room, configured != 0
	}
	return limit, false
}
