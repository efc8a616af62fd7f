// Package api serves Fanfare's HTTP JSON API. Routes live in routes.go;
// handlers turn domain errors into one JSON error shape, and internal error
// text (SQL, stack) never reaches a client.
package api
