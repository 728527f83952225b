package main

import (
	"log"
	"log/slog"
)

// slogErrorLog routes net/http's own complaints (TLS handshakes, bad
// requests) into the structured log at warn level.
func slogErrorLog(logger *slog.Logger) *log.Logger {
	return slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
}
