package main

import (
	"net/url"
	"testing"
)

func TestTag(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"/api/v1/search/?q=domain%3A%22a.example%22&size=10", "/api/v1/search/?q=domain%3A%22a.example%22+zzbenchfault03&size=10", true},
		{"/api/v1/search?q=ip%3A1.2.3.4", "/api/v1/search?q=ip%3A1.2.3.4+zzbenchfault03", true},
		{"/api/v1/result/0a1b-2c3d/", "/api/v1/result/0a1b-2c3d-zzbenchfault03/", true},
		{"/api/v1/result/0a1b-2c3d", "/api/v1/result/0a1b-2c3d-zzbenchfault03", true},
		{"/api/v1/scan/", "/api/v1/scan/", false},
	}
	for _, tt := range tests {
		u, err := url.Parse(tt.in)
		if err != nil {
			t.Fatal(err)
		}
		ok := tag(u, faultMarker(3))
		if got := u.RequestURI(); got != tt.want || ok != tt.ok {
			t.Errorf("tag(%s) = %s, %v; want %s, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}
