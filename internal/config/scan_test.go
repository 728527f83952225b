package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestLoadScanOptions(t *testing.T) {
	def, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(def.ScanTags, []string{"xdr"}) || def.ScanCountry != "" || def.ScanDeny != nil || def.ScanWait != 2*time.Minute {
		t.Errorf("defaults: tags %v country %q deny %v wait %s, want [xdr] \"\" [] 2m", def.ScanTags, def.ScanCountry, def.ScanDeny, def.ScanWait)
	}
	got, err := Load(env(map[string]string{
		"SCAN_TAGS":    " xdr, soc ,xdr," + strings.Repeat("t", 29),
		"SCAN_COUNTRY": "DE",
		"SCAN_DENY":    "Example.COM., corp.example, example.com",
		"SCAN_WAIT":    "30s",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := []string{"xdr", "soc", strings.Repeat("t", 29)}; !slices.Equal(got.ScanTags, want) {
		t.Errorf("ScanTags = %v, want %v", got.ScanTags, want)
	}
	if got.ScanCountry != "de" {
		t.Errorf("ScanCountry = %q, want de", got.ScanCountry)
	}
	if want := []string{"example.com", "corp.example"}; !slices.Equal(got.ScanDeny, want) {
		t.Errorf("ScanDeny = %v, want %v", got.ScanDeny, want)
	}
	if got.ScanWait != 30*time.Second {
		t.Errorf("ScanWait = %s, want 30s", got.ScanWait)
	}
}

func TestLoadRejectsScanOptions(t *testing.T) {
	eleven := "a,b,c,d,e,f,g,h,i,j,k"
	for _, tt := range []struct{ name, value string }{
		{"SCAN_TAGS", eleven},
		{"SCAN_TAGS", strings.Repeat("t", 30)},
		{"SCAN_TAGS", "ok,bad\x01tag"},
		{"SCAN_TAGS", ", ,"},
		{"SCAN_COUNTRY", "deu"},
		{"SCAN_COUNTRY", "d1"},
		{"SCAN_DENY", "exa mple.com"},
		{"SCAN_DENY", "-example.com"},
		{"SCAN_DENY", "a..b"},
		{"SCAN_DENY", "bücher.example"},
		{"SCAN_DENY", ","},
		{"SCAN_WAIT", "-1s"},
		{"SCAN_WAIT", "2h"},
	} {
		t.Run(tt.name+"="+tt.value, func(t *testing.T) { refused(t, tt.name, tt.value) })
	}
	// Ten tags is urlscan.io's limit, not past it.
	if _, err := Load(env(map[string]string{"SCAN_TAGS": eleven[:len(eleven)-2]})); err != nil {
		t.Errorf("ten tags refused: %v", err)
	}
}
