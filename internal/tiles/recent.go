package tiles

import (
	"context"
	"strings"
	"time"
	"unicode"

	"urlscan-relay/internal/scans"
	"urlscan-relay/internal/urlscan"
)

// ScanLister lists a key's scans submitted through the relay, newest
// first (implemented by *scans.Book).
type ScanLister interface {
	Scans(ctx context.Context, keyID string) []scans.Scan
}

// maxRecentRows bounds the scans the tile lists.
const maxRecentRows = 20

// maxCellURL bounds a URL as the tile shows it.
const maxCellURL = 120

// recentScansTile lists the scans submitted through the relay by the key
// in the period, newest first.
func recentScansTile(sl ScanLister, ui string) kind {
	return kind{
		tile: describe("urlscan-recent-scans", "markdown", "Scans submitted to urlscan.io",
			"The scans this module submitted to urlscan.io for your organisation in the period, newest first (at most 20): when, the URL, its visibility, urlscan.io's verdict once the scan has finished, and a link to the report.",
			"Recent urlscan.io scans from XDR"),
		data: func(ctx context.Context, apiKey string, p Period, now time.Time) (Data, error) {
			since := now.Add(-p.Span)
			lines := []string{
				"| Submitted (UTC) | URL | Visibility | Verdict | Report |",
				"| --- | --- | --- | --- | --- |",
			}
			n := 0
			for _, sc := range sl.Scans(ctx, urlscan.KeyID(apiKey)) {
				if sc.Submitted.Before(since) || sc.Submitted.After(now) {
					continue
				}
				if n == maxRecentRows {
					break
				}
				n++
				lines = append(lines, "| "+sc.Submitted.UTC().Format("2006-01-02 15:04")+" | "+markdownText(sc.URL)+" | "+
					sc.Visibility+" | "+verdictText(sc)+" | ["+"report"+"]("+urlscan.ResultURL(ui, sc.ID)+") |")
			}
			if n == 0 {
				lines = append(lines, "| | No scans submitted in this period. | | | |")
			}
			return Data{Data: lines}, nil
		},
	}
}

func verdictText(sc scans.Scan) string {
	switch sc.State {
	case scans.Done:
		if sc.Malicious {
			return "**malicious**"
		}
		return "not malicious"
	case scans.Pending:
		return "pending"
	case scans.Expired:
		return "unknown (not finished within SCAN_WAIT)"
	case scans.Gone:
		return "unknown (urlscan.io does not know the scan)"
	}
	return "unknown"
}

// markdownText shows s as plain text in a table cell: markdown's special
// characters escaped, control characters and line breaks as spaces, cut
// to maxCellURL characters.
func markdownText(s string) string {
	var b strings.Builder
	n := 0
	for _, r := range s {
		if n == maxCellURL {
			b.WriteString("…")
			break
		}
		n++
		switch {
		case unicode.IsControl(r):
			b.WriteByte(' ')
		case strings.ContainsRune("\\`*_{}[]()<>#+-.!|~", r):
			b.WriteByte('\\')
			b.WriteRune(r)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
