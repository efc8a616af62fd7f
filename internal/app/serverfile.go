package app

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// serverFile tells CLI commands that a server owns this data directory.
type serverFile struct {
	URL string `json:"url"`
	PID int    `json:"pid"`
}

func serverFilePath(dataDir string) string { return filepath.Join(dataDir, "server.json") }
func tokenPath(dataDir string) string      { return filepath.Join(dataDir, "api-token") }

func readServerFile(dataDir string) (*serverFile, error) {
	b, err := os.ReadFile(serverFilePath(dataDir))
	if err != nil {
		return nil, err
	}
	var sf serverFile
	if err := json.Unmarshal(b, &sf); err != nil {
		return nil, fmt.Errorf("read %s: %w", serverFilePath(dataDir), err)
	}
	return &sf, nil
}

func writeServerFile(dataDir string, sf serverFile) error {
	b, _ := json.Marshal(sf)
	tmp := serverFilePath(dataDir) + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, serverFilePath(dataDir))
}
