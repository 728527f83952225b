package server

import (
	"context"
	"net/http"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/tiles"
	"urlscan-relay/internal/tr"
)

// Tiles is what the server asks of the dashboard tiles.
type Tiles interface {
	List() []tiles.Tile
	Tile(id string) (tiles.Tile, error)
	Data(ctx context.Context, apiKey, id, period string) (tiles.Data, error)
}

// handleTiles answers POST /tiles with every tile's description.
func (s *server) handleTiles() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, err := s.authorize(r); err != nil {
			writeTR(w, r, nil, []error{err})
			return
		}
		writeTR(w, r, s.Tiles.List(), nil)
	})
}

// handleTile answers POST /tiles/tile {"tile_id"} with that tile's
// description.
func (s *server) handleTile() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fields, _, ok := s.tileRequest(w, r, "tile_id")
		if !ok {
			return
		}
		t, err := s.Tiles.Tile(fields[0])
		if err != nil {
			writeTR(w, r, nil, []error{err})
			return
		}
		writeTR(w, r, t, nil)
	})
}

// handleTileData answers POST /tiles/tile-data {"tile_id","period"} with
// the tile's data for the period, for the token's urlscan.io key.
func (s *server) handleTileData() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fields, claims, ok := s.tileRequest(w, r, "tile_id", "period")
		if !ok {
			return
		}
		if claims.Key == "" {
			writeTR(w, r, nil, []error{tr.New(tr.PermissionDenied, tr.MsgMissingKey)})
			return
		}
		d, err := s.Tiles.Data(r.Context(), claims.Key, fields[0], fields[1])
		if err != nil {
			writeTR(w, r, nil, []error{err})
			return
		}
		writeTR(w, r, d, nil)
	})
}

// tileRequest reads a tile request body with the required string fields
// names, and checks the token; when it returns false it has answered.
func (s *server) tileRequest(w http.ResponseWriter, r *http.Request, names ...string) ([]string, *auth.Claims, bool) {
	body, err := readBody(w, r, s.Config.MaxBodyBytes)
	if err != nil {
		writeTR(w, r, nil, []error{err})
		return nil, nil, false
	}
	obj, err := decodeObject(body)
	if err != nil {
		writeTR(w, r, nil, []error{err})
		return nil, nil, false
	}
	fe := fieldErrors{}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = requireString(fe, "_schema", n, obj)
	}
	if err := fe.err(); err != nil {
		writeTR(w, r, nil, []error{err})
		return nil, nil, false
	}
	claims, err := s.authorize(r)
	if err != nil {
		writeTR(w, r, nil, []error{err})
		return nil, nil, false
	}
	return out, claims, true
}
