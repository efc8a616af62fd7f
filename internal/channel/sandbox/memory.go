package sandbox

import (
	"context"
	"sync"
	"time"

	"github.com/fanfare-dev/fanfare/internal/channel"
)

// Captured is one captured message.
type Captured struct {
	Message channel.Message
	SentAt  time.Time
}

// Memory is a Sink that keeps messages in memory, for tests and demos.
type Memory struct {
	mu    sync.Mutex
	list  []Captured
	index map[string]int
}

// NewMemory returns an empty in-memory Sink.
func NewMemory() *Memory {
	return &Memory{index: map[string]int{}}
}

// Put stores m, replacing an earlier capture of the same ID.
func (s *Memory) Put(_ context.Context, m channel.Message, sentAt time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := Captured{Message: m, SentAt: sentAt}
	if i, ok := s.index[m.ID]; ok {
		s.list[i] = c
		return nil
	}
	s.index[m.ID] = len(s.list)
	s.list = append(s.list, c)
	return nil
}

// List returns the captured messages in capture order.
func (s *Memory) List() []Captured {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Captured, len(s.list))
	copy(out, s.list)
	return out
}

// Get returns the message captured under id.
func (s *Memory) Get(id string) (Captured, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.index[id]
	if !ok {
		return Captured{}, false
	}
	return s.list[i], true
}
