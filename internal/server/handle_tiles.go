package server

import (
	"context"
	"net/http"

	"urlscan-relay/internal/auth"
	"urlscan-relay/internal/tiles"
)

// Tiles is what the server asks of the dashboard tiles.
type Tiles interface {
	List() []tiles.Tile
	Tile(id string) (tiles.Tile, error)
	Data(ctx context.Context, apiKey, id, period string) (tiles.Data, error)
}

// handleTiles answers POST /tiles with every tile's description.
func (s *server) handleTiles() http.Handler {
	return answerTR(func(r *http.Request) (any, []error) {
		if _, err := s.authorize(r); err != nil {
			return failed(err)
		}
		return s.Tiles.List(), nil
	})
}

// handleTile answers POST /tiles/tile {"tile_id"} with that tile's
// description.
func (s *server) handleTile() http.Handler {
	return answerTR(func(r *http.Request) (any, []error) {
		fields, _, err := s.readTileRequest(r, "tile_id")
		if err != nil {
			return failed(err)
		}
		return result(s.Tiles.Tile(fields[0]))
	})
}

// handleTileData answers POST /tiles/tile-data {"tile_id","period"} with
// the tile's data for the period, for the token's urlscan.io key.
func (s *server) handleTileData() http.Handler {
	return answerTR(func(r *http.Request) (any, []error) {
		fields, claims, err := s.readTileRequest(r, "tile_id", "period")
		if err != nil {
			return failed(err)
		}
		key, err := apiKey(claims)
		if err != nil {
			return failed(err)
		}
		return result(s.Tiles.Data(r.Context(), key, fields[0], fields[1]))
	})
}

// readTileRequest reads a tile request body with the required string
// fields names, then checks the token.
func (s *server) readTileRequest(r *http.Request, names ...string) ([]string, *auth.Claims, error) {
	obj, err := s.readObject(r)
	if err != nil {
		return nil, nil, err
	}
	fe := fieldErrors{}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = requireString(fe, "_schema", n, obj)
	}
	if err := fe.err(); err != nil {
		return nil, nil, err
	}
	claims, err := s.authorize(r)
	if err != nil {
		return nil, nil, err
	}
	return out, claims, nil
}
