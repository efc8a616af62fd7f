// Package api serves Fanfare's HTTP JSON API. Routes live in routes.go;
// each handler decodes a request, calls the use-case layer
// (internal/service) and encodes its answer (handle, in handle.go), and
// respond.go's error table turns domain errors into one JSON error shape:
// internal error text (SQL, stack) never reaches a client.
package api
