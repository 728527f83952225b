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
	base   string // BASE_PATH: "" or "/a/b", under which api routes are served
	routes map[string]map[string]http.Handler
	labels map[string]string // path → route label of logs and metrics
	paths  []string          // in registration order, for the index page
}

func newRouter(base string) *router {
	return &router{base: base, routes: map[string]map[string]http.Handler{}, labels: map[string]string{}}
}

// handle serves path itself, whatever the base path.
func (rt *router) handle(method, path string, h http.Handler) { rt.add(method, path, path, h) }

// api serves path under the base path ("/" is the base path itself). Logs
// and metrics name the route without the base, so that dashboards and
// alerts read the same whatever BASE_PATH is.
func (rt *router) api(method, path string, h http.Handler) {
	full := rt.base + path
	if path == "/" && rt.base != "" {
		full = rt.base
	}
	rt.add(method, full, path, h)
}

func (rt *router) add(method, path, label string, h http.Handler) {
	if rt.routes[path] == nil {
		rt.routes[path] = map[string]http.Handler{}
		rt.labels[path] = label
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
		msg := "No such endpoint."
		if rt.base != "" && r.URL.Path != rt.base && !strings.HasPrefix(r.URL.Path, rt.base+"/") {
			msg += " The relay's endpoints are under " + rt.base + "."
		}
		writeRefusal(w, http.StatusNotFound, tr.New(tr.NotFound, msg))
		return
	}
	setRoute(r, rt.labels[path])
	methods := rt.routes[path]
	h, ok := methods[r.Method]
	if !ok {
		allowed := make([]string, 0, len(methods))
		for m := range methods {
			allowed = append(allowed, m)
		}
		slices.Sort(allowed)
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		writeRefusal(w, http.StatusMethodNotAllowed, tr.New(tr.InvalidArgument, "Method not allowed."))
		return
	}
	h.ServeHTTP(w, r)
}
