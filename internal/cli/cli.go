package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/alecthomas/kong"

	"github.com/fanfare-dev/fanfare/internal/audit"
)

// Version is the fanfare version, set at build time.
var Version = "dev"

// Globals are the flags every subcommand takes, the same way.
type Globals struct {
	Config          kong.ConfigFlag `help:"JSON configuration file; keys are flag names with _ for - (data_dir, database_url, …)." type:"existingfile"`
	DataDir         string          `name:"data-dir" env:"FANFARE_DATA_DIR" help:"Directory of the embedded store (default: fanfare-data), and where the local CLI finds the server's API token; with PostgreSQL, none unless given." type:"path"`
	FilesDir        string          `name:"files-dir" env:"FANFARE_FILES_DIR" help:"The only directory load_file reads (default: <data-dir>/files; with PostgreSQL and no data directory, none: load_file is refused)." type:"path"`
	MemoryLimit     string          `name:"memory-limit" env:"FANFARE_MEMORY_LIMIT" help:"Cap on the embedded store's memory, e.g. 512MB (default: DuckDB's, 80% of the machine's)."`
	DatabaseURL     string          `name:"database-url" env:"FANFARE_DATABASE_URL" help:"PostgreSQL URL (postgres://…); the embedded store is used when empty."`
	DatabaseURLFile string          `name:"database-url-file" env:"FANFARE_DATABASE_URL_FILE" help:"File holding the PostgreSQL URL (keeps the password out of the environment)." type:"path"`
	PublicURL       string          `name:"public-url" env:"FANFARE_PUBLIC_URL" help:"Where recipients reach the fanfare server (unsubscribe links): serve's default is its listening address; a send without a server has none (its links point at https://unsubscribe.invalid, with a warning)."`
	Server          string          `name:"server" env:"FANFARE_SERVER" help:"URL of a running fanfare server to work through."`
	Token           string          `name:"token" env:"FANFARE_API_TOKEN" help:"API token (default: the one in the data directory); serve accepts it besides the store's tokens."`
	TokenFile       string          `name:"token-file" env:"FANFARE_API_TOKEN_FILE" help:"File holding the API token." type:"path"`
	LogLevel        string          `name:"log-level" env:"FANFARE_LOG_LEVEL" default:"info" enum:"debug,info,warn,error" help:"Log level."`
	LogFormat       string          `name:"log-format" env:"FANFARE_LOG_FORMAT" default:"text" enum:"text,json" help:"Log format."`
	RenderMaxBytes  byteSize        `name:"render-max-bytes" env:"FANFARE_RENDER_MAX_BYTES" default:"8MiB" help:"Budget of one message's render: the bytes its fields, filters and captures make together (validation refuses content that exceeds it on the sample profile)."`
	RenderMaxTime   time.Duration   `name:"render-max-time" env:"FANFARE_RENDER_MAX_TIME" default:"1s" help:"Budget of one message's render: how long it may take."`
	readLimitFlags

	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger
	open   Opener
}

// SetOutput sets where the commands print and log (Main sets them from
// its writers; the wiring's tests set them too).
func (g *Globals) SetOutput(stdout, stderr io.Writer, log *slog.Logger) {
	g.stdout, g.stderr, g.log = stdout, stderr, log
}

// Stdout is where a command prints its results.
func (g *Globals) Stdout() io.Writer { return g.stdout }

// Stderr is where a command prints its problems, and the log goes.
func (g *Globals) Stderr() io.Writer { return g.stderr }

// Log is the log of the command, at the level and in the format the
// flags ask.
func (g *Globals) Log() *slog.Logger { return g.log }

// defaultDataDir is the embedded store's directory when none is given.
const defaultDataDir = "fanfare-data"

// DataDirectory is the data directory: the one given, else fanfare-data
// for the embedded store; with PostgreSQL none unless given, so a server
// on PostgreSQL writes nothing in its working directory.
func (g *Globals) DataDirectory() string {
	if g.DataDir != "" || g.DatabaseURL != "" {
		return g.DataDir
	}
	return defaultDataDir
}

// FilesDirectory is the directory load_file reads: the one given, else
// <data-dir>/files, else none.
func (g *Globals) FilesDirectory() string {
	if g.FilesDir != "" {
		return g.FilesDir
	}
	if dir := g.DataDirectory(); dir != "" {
		return filepath.Join(dir, "files")
	}
	return ""
}

// ConfiguredToken is the token given by --token or --token-file.
func (g *Globals) ConfiguredToken() string {
	if g.Token != "" {
		return g.Token
	}
	if g.TokenFile != "" {
		if b, err := os.ReadFile(g.TokenFile); err == nil {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

// CLI is the fanfare command line: the global flags and the commands.
// The wiring (internal/app) adds serve, in a root that embeds CLI.
type CLI struct {
	Globals

	Model        ModelCmd        `cmd:"" help:"Validate, apply and show the data model."`
	Import       ImportCmd       `cmd:"" help:"Import a CSV or NDJSON file (or a directory of them)."`
	Audience     AudienceCmd     `cmd:"" help:"Count, save and export audiences."`
	Campaign     CampaignCmd     `cmd:"" help:"Validate, simulate, publish and run campaigns."`
	Messages     MessagesCmd     `cmd:"" help:"List or show the messages the sandbox captured."`
	Consent      ConsentCmd      `cmd:"" help:"Show and record consent, one profile at a time or in bulk."`
	Suppressions SuppressionsCmd `cmd:"" help:"List, add and remove suppressed addresses."`
	Profile      ProfileCmd      `cmd:"" help:"Erase a profile's messages and their events."`
	Events       EventsCmd       `cmd:"" help:"The outbound event stream: its destinations and their dead letters."`
	Demo         DemoCmd         `cmd:"" help:"Create the retail demo data model and load generated data."`
	Token        TokenCmd        `cmd:"" help:"Create, list and revoke API tokens."`
	Keys         KeysCmd         `cmd:"" help:"List, rotate and retire the keys of links (unsubscribe links)."`
	Version      VersionCmd      `cmd:"" help:"Print the version."`
}

// VersionCmd prints the version.
type VersionCmd struct{}

// Run prints the version.
func (VersionCmd) Run(g *Globals) error {
	fmt.Fprintln(g.stdout, "fanfare", Version)
	return nil
}

// Root is the command tree Main parses: CLI, or a struct embedding it.
type Root interface{ commands() *CLI }

func (c *CLI) commands() *CLI { return c }

// Main runs the command line and returns the process exit code: root is
// the command tree, open what its commands open to work through.
func Main(args []string, stdout, stderr io.Writer, root Root, open Opener) int {
	cli := root.commands()
	cli.stdout, cli.stderr, cli.open = stdout, stderr, open
	exit := -1
	var keys map[string]bool // the configuration's, known once the parser is
	parser, err := kong.New(root,
		kong.Name("fanfare"),
		kong.Description("Fanfare: orchestrated campaigns over your relational customer data."),
		kong.Configuration(configLoader(func() map[string]bool { return keys })),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exit = code }),
	)
	if err != nil {
		fmt.Fprintln(stderr, "fanfare:", err)
		return 2
	}
	keys = flagKeys(parser.Model)
	kctx, err := parser.Parse(args)
	if exit >= 0 {
		return exit
	}
	if err != nil {
		fmt.Fprintln(stderr, "fanfare:", err)
		return 2
	}
	cli.log = NewLogger(stderr, cli.LogLevel, cli.LogFormat)
	if cli.DatabaseURL == "" && cli.DatabaseURLFile != "" {
		b, err := os.ReadFile(cli.DatabaseURLFile)
		if err != nil {
			fmt.Fprintln(stderr, "fanfare: --database-url-file:", err)
			return 2
		}
		cli.DatabaseURL = strings.TrimSpace(string(b))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	// A command on the store acts as the person running it (through a
	// server, as its API token).
	ctx = audit.WithActor(ctx, audit.CLI())
	kctx.BindTo(ctx, (*context.Context)(nil))
	if err := kctx.Run(&cli.Globals); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(stderr, ee.msg)
			}
			return ee.code
		}
		fmt.Fprintln(stderr, "fanfare:", err)
		return 1
	}
	return 0
}

// exitError ends the command with a code after its output was printed.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// NewLogger is a log at a level (debug, info, warn, error), as text or
// JSON (format "json").
func NewLogger(w io.Writer, level, format string) *slog.Logger {
	var lv slog.Level
	_ = lv.UnmarshalText([]byte(level))
	opts := &slog.HandlerOptions{Level: lv}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
