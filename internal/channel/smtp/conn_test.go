package smtp

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/textproto"
	"strings"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/fanfare-dev/fanfare/internal/channel"
	"github.com/fanfare-dev/fanfare/internal/channel/channeltest"
)

// contentCases are message contents around the dot-encoding: dots at line
// starts, bare CR and LF, with and without a final line break.
var contentCases = []string{
	"",
	"\r\n",
	"a",
	"a\r\n",
	"a\r\nb",
	"a\r\nb\r\n",
	"a\r\n\r\n",
	".",
	".a\r\n",
	"a\r\n.\r\nb\r\n",
	"a\r\n..b\r\n",
	"a.b\r\nc.\r\n",
	"a\nb\r\n",
	"a\rb\r\n",
	"a\r\n\n.\r\n",
	"a\r",
	"a\n",
	"\r\n.\r\nMAIL FROM:<eve@example.com>\r\n",
}

func TestDotTransparent(t *testing.T) {
	tests := []struct {
		name string
		data string
		want bool
	}{
		{"empty", "", true},
		{"CRLF lines", "a\r\nb\r\n", true},
		{"no final break", "a\r\nb", true},
		{"dots inside lines", "a.b\r\nc.\r\n", true},
		{"leading dot", ".a\r\n", false},
		{"dot line", "a\r\n.\r\nb\r\n", false},
		{"bare LF", "a\nb\r\n", false},
		{"bare CR", "a\rb\r\n", false},
		{"CR at the end", "a\r", false},
		{"LF at the start", "\na", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := dotTransparent([]byte(tt.data)); got != tt.want {
				t.Errorf("dotTransparent(%q) = %v", tt.data, got)
			}
		})
	}
}

// dataStream is what writeContent and the close of the DATA writer put on
// the wire for data, through the connection (raw) or through the
// DotWriter alone.
func dataStream(data []byte, raw bool) []byte {
	var out bytes.Buffer
	w := textproto.NewWriter(bufio.NewWriter(&out)).DotWriter()
	c := &conn{}
	if raw {
		c.raw = &out
	}
	c.writeContent(w, data) // a bytes.Buffer never fails
	w.Close()
	return out.Bytes()
}

func FuzzWriteContent(f *testing.F) {
	for _, s := range contentCases {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if raw, dot := dataStream(data, true), dataStream(data, false); !bytes.Equal(raw, dot) {
			t.Fatalf("content %q: written straight %q, through the DotWriter %q", data, raw, dot)
		}
	})
}

// captureServer is an SMTP server that accepts everything and sends back,
// on the channel, each DATA stream as it came over the wire, end line
// included.
func captureServer(t *testing.T) (addr string, streams <-chan []byte) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	ch := make(chan []byte, 64)
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				c.SetDeadline(time.Now().Add(10 * time.Second))
				r := bufio.NewReader(c)
				io.WriteString(c, "220 capture ESMTP\r\n")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case cmd == "DATA":
						io.WriteString(c, "354 go on\r\n")
						var stream []byte
						for {
							chunk, err := r.ReadSlice('\n')
							if err != nil {
								return
							}
							stream = append(stream, chunk...)
							if bytes.Equal(chunk, []byte(".\r\n")) {
								break
							}
						}
						ch <- stream
						io.WriteString(c, "250 queued as X1\r\n")
					case cmd == "QUIT":
						io.WriteString(c, "221 bye\r\n")
						return
					default:
						io.WriteString(c, "250 ok\r\n")
					}
				}
			}()
		}
	}()
	return l.Addr().String(), ch
}

// TestWriteContentOnTheWire checks against a real go-smtp client that a
// message written straight to the connection reaches the server exactly as
// through the DotWriter, and that the session stays in step.
func TestWriteContentOnTheWire(t *testing.T) {
	addr, streams := captureServer(t)
	dial := func(raw bool) *conn {
		tcp, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { tcp.Close() })
		cl := gosmtp.NewClient(tcp)
		if err := cl.Hello("fanfare.test"); err != nil {
			t.Fatal(err)
		}
		c := &conn{tcp: tcp, cl: cl}
		if raw {
			c.raw = tcp
		}
		return c
	}
	straight, dotted := dial(true), dial(false)
	msg, err := compose(channeltest.Message(channel.Email, "wire-1", 1), time.Now(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer msg.free()
	if !dotTransparent(msg.data) {
		t.Fatal("a composed message is not its own dot-encoding")
	}
	cases := append([]string{string(msg.data)}, contentCases...)
	for _, data := range cases {
		var got [2][]byte
		for i, c := range []*conn{straight, dotted} {
			st, id, err := c.transact(t.Context(), "news@example.com", "ada@example.com", []byte(data))
			if err != nil || st != stageEnd || id != "X1" {
				t.Fatalf("content %.40q: stage %s, id %q, %v", data, st, id, err)
			}
			got[i] = <-streams
		}
		if !bytes.Equal(got[0], got[1]) {
			t.Errorf("content %.40q: written straight %q, through the DotWriter %q", data, got[0], got[1])
		}
	}
}
