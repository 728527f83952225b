package server

import (
	"net/http"
	"slices"
	"strings"

	"urlscan-relay/internal/tr"
)

// router matches exact paths, with or without a trailing slash, and answers
// unknown paths (404) and wrong methods (405) with a JSON body, which
// net/http's ServeMux does in plain text.
type router struct {
	routes map[string]map[string]http.Handler
	paths  []string // in registration order, for the index page
}

func newRouter() *router { return &router{routes: map[string]map[string]http.Handler{}} }

func (rt *router) handle(method, path string, h http.Handler) {
	if rt.routes[path] == nil {
		rt.routes[path] = map[string]http.Handler{}
		rt.paths = append(rt.paths, path)
	}
	rt.routes[path][method] = h
}

// match returns the registered path for a request path, or "".
func (rt *router) match(path string) string {
	if len(path) > 1 {
		path = strings.TrimSuffix(path, "/")
	}
	if _, ok := rt.routes[path]; ok {
		return path
	}
	return ""
}

func (rt *router) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := rt.match(r.URL.Path)
	if path == "" {
		encode(w, http.StatusNotFound, envelope{Errors: []trError{{
			Type: "fatal", Code: tr.NotFound, Message: "No such endpoint.",
		}}})
		return
	}
	setRoute(r, path)
	methods := rt.routes[path]
	h, ok := methods[r.Method]
	if !ok {
		allowed := make([]string, 0, len(methods))
		for m := range methods {
			allowed = append(allowed, m)
		}
		slices.Sort(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		encode(w, http.StatusMethodNotAllowed, envelope{Errors: []trError{{
			Type: "fatal", Code: tr.InvalidArgument, Message: "Method not allowed.",
		}}})
		return
	}
	h.ServeHTTP(w, r)
}
