package app

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
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

// ensureToken returns the data directory's API token, creating it (readable
// by its owner only) on first use.
func ensureToken(dataDir string) (string, error) {
	if b, err := os.ReadFile(tokenPath(dataDir)); err == nil && strings.TrimSpace(string(b)) != "" {
		return strings.TrimSpace(string(b)), nil
	}
	if err := os.MkdirAll(dataDir, 0o750); err != nil {
		return "", err
	}
	buf := make([]byte, 24)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	tok := "ff_" + hex.EncodeToString(buf)
	if err := os.WriteFile(tokenPath(dataDir), []byte(tok+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write API token: %w", err)
	}
	return tok, nil
}
