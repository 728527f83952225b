package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strconv"
	"syscall"

	"urlscan-relay/internal/urlscan"
)

// failureCause says, for someone at a terminal, why a urlscan.io call
// failed: the DNS, TLS or connection trouble behind the TR message an
// analyst would read, or the HTTP status urlscan answered. It is "" when
// err tells no more than its TR message. Like the errors it reads, it
// never holds the API key.
func failureCause(err error) string {
	var (
		dns      *net.DNSError
		verify   *tls.CertificateVerificationError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
		op       *net.OpError
		ue       *urlscan.Error
	)
	switch {
	case errors.As(err, &dns):
		return "DNS: cannot resolve " + dns.Name + ": " + dns.Err
	case errors.As(err, &verify):
		return "TLS: the server's certificate is not trusted: " + verify.Err.Error()
	case errors.As(err, &unknown):
		return "TLS: the server's certificate is not trusted: " + unknown.Error()
	case errors.As(err, &hostname):
		return "TLS: the server's certificate is not trusted: " + hostname.Error()
	case errors.As(err, &invalid):
		return "TLS: the server's certificate is not trusted: " + invalid.Error()
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused by " + peerOf(err)
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset by " + peerOf(err)
	case errors.As(err, &op) && op.Timeout():
		return "timed out connecting to " + peerOf(err)
	case errors.As(err, &ue) && ue.Status != 0:
		return "urlscan.io answered HTTP " + strconv.Itoa(ue.Status)
	case errors.As(err, &ue) && ue.Err != nil:
		return ue.Err.Error()
	}
	return ""
}

// peerOf is the address a failed network operation in err was talking to.
func peerOf(err error) string {
	var op *net.OpError
	if errors.As(err, &op) && op.Addr != nil {
		return op.Addr.String()
	}
	return "the server"
}
