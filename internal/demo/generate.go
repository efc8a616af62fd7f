package demo

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sync"
	"time"
)

// Defaults used for zero fields of Options.
const (
	DefaultCustomers = 10_000
	DefaultSeed      = 1
)

// DefaultNow is the "today" used when Options.Now is zero.
var DefaultNow = time.Date(2026, time.November, 1, 0, 0, 0, 0, time.UTC)

// Options controls the size and randomness of a generated data set.
type Options struct {
	// Customers is the number of customers; every other entity scales from
	// it. Zero means DefaultCustomers.
	Customers int
	// Seed selects the data set; zero means DefaultSeed.
	Seed int64
	// Now is "today": every date lies before it, so a fixed Now makes the
	// output reproducible. Zero means DefaultNow.
	Now time.Time
}

// withDefaults fills zero fields and checks the rest.
func (o Options) withDefaults() (Options, error) {
	if o.Customers < 0 {
		return o, fmt.Errorf("demo: customers must not be negative, got %d", o.Customers)
	}
	if o.Customers == 0 {
		o.Customers = DefaultCustomers
	}
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Now.IsZero() {
		o.Now = DefaultNow
	}
	o.Now = o.Now.UTC().Truncate(time.Second)
	return o, nil
}

// Entities returns the generated entity names, in model order.
func Entities() []string {
	out := make([]string, len(entities))
	for i, e := range entities {
		out[i] = e.name
	}
	return out
}

// Columns returns the CSV header of entity: its attribute names in model
// order, or nil for an unknown entity.
func Columns(entity string) []string {
	for _, e := range entities {
		if e.name == entity {
			return append([]string(nil), e.columns...)
		}
	}
	return nil
}

// entityWriter writes one entity's rows (without the header) and returns
// how many it wrote.
type entityWriter func(g *generator, w *bufio.Writer, progress func(int64)) (int64, error)

// entities lists each entity's attributes in model.yaml's order; a test
// keeps the two in step.
var entities = []struct {
	name    string
	columns []string
	write   entityWriter
}{
	{"customers", []string{"customer_id", "first_name", "last_name", "email", "phone", "country", "city", "birth_date", "loyalty_tier", "email_optin", "sms_optin", "push_optin", "created_at"}, writeCustomers},
	{"products", []string{"product_id", "name", "category", "brand", "price"}, writeProducts},
	{"stores", []string{"store_id", "name", "country", "city"}, writeStores},
	{"purchases", []string{"purchase_id", "customer_id", "product_id", "store_id", "amount", "quantity", "purchased_at"}, writePurchases},
	{"loyalty_subscriptions", []string{"subscription_id", "customer_id", "plan", "start_date", "end_date"}, writeSubscriptions},
	{"devices", []string{"device_id", "customer_id", "push_token", "platform", "active", "last_seen_at"}, writeDevices},
}

// progressEvery is how many rows pass between two progress reports.
const progressEvery = 1 << 16

// Generate writes one CSV file per entity, named <entity>.csv, into dir
// (created if missing) and returns the number of rows written per entity.
// Entities are generated concurrently; progress, if not nil, is called with
// an entity's running row count (never concurrently) and once with its
// final count.
func Generate(dir string, opts Options, progress func(entity string, rows int64)) (map[string]int64, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("demo: create output directory: %w", err)
	}
	var (
		mu     sync.Mutex
		wg     sync.WaitGroup
		counts = make([]int64, len(entities))
		errs   = make([]error, len(entities))
	)
	for i, e := range entities {
		wg.Go(func() {
			report := func(rows int64) {
				if progress != nil {
					mu.Lock()
					defer mu.Unlock()
					progress(e.name, rows)
				}
			}
			counts[i], errs[i] = writeFile(filepath.Join(dir, e.name+".csv"), e.name, opts, report)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	out := make(map[string]int64, len(entities))
	for i, e := range entities {
		out[e.name] = counts[i]
	}
	return out, nil
}

func writeFile(path, entity string, opts Options, progress func(int64)) (int64, error) {
	f, err := os.Create(path)
	if err != nil {
		return 0, fmt.Errorf("demo: create %s: %w", entity, err)
	}
	n, err := writeEntity(f, entity, opts, progress)
	if cerr := f.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("demo: close %s: %w", entity, cerr)
	}
	return n, err
}

// WriteEntity writes one entity's CSV, header included, to w and returns
// the number of data rows. The output is identical to the file Generate
// writes for the same entity and options.
func WriteEntity(w io.Writer, entity string, opts Options) (int64, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return 0, err
	}
	return writeEntity(w, entity, opts, nil)
}

func writeEntity(w io.Writer, entity string, opts Options, progress func(int64)) (int64, error) {
	if progress == nil {
		progress = func(int64) {}
	}
	for _, e := range entities {
		if e.name != entity {
			continue
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		var line []byte
		for i, c := range e.columns {
			if i > 0 {
				line = append(line, ',')
			}
			line = append(line, c...)
		}
		line = append(line, '\n')
		if _, err := bw.Write(line); err != nil {
			return 0, fmt.Errorf("demo: write %s: %w", entity, err)
		}
		n, err := e.write(newGenerator(opts, entity), bw, progress)
		if err == nil {
			err = bw.Flush()
		}
		if err != nil {
			return n, fmt.Errorf("demo: write %s: %w", entity, err)
		}
		progress(n)
		return n, nil
	}
	return 0, fmt.Errorf("demo: unknown entity %q", entity)
}

// generator holds what every entity writer derives from Options.
type generator struct {
	opts      Options
	customers int64
	seed      uint64
	rng       *rand.Rand // this entity's own stream
	now       int64      // Unix seconds
	today     int64      // days since 1970-01-01 of now
	firstSeen int64      // Unix seconds of the earliest customer creation
	countries []float64  // cumulative country weights
}

// customerSpan is how far back customer creation goes; purchaseYears how
// far back purchases go.
const (
	customerSpan  = 8 * 365 * 86400
	purchaseYears = 3
)

func newGenerator(opts Options, entity string) *generator {
	h := fnv.New64a()
	h.Write([]byte(entity))
	seed := uint64(opts.Seed)
	w := make([]float64, len(countries))
	for i, c := range countries {
		w[i] = c.weight
	}
	now := opts.Now.Unix()
	return &generator{
		opts:      opts,
		customers: int64(opts.Customers),
		seed:      seed,
		rng:       rand.New(rand.NewPCG(seed, h.Sum64())),
		now:       now,
		today:     floorDiv(now, 86400),
		firstSeen: now - customerSpan,
		countries: cumulative(w),
	}
}

// core holds the customer facts that several entities need. They come from
// a hash of (seed, customer id) rather than a shared stream, so that each
// entity can be generated on its own goroutine and still agree.
type core struct {
	country    int   // index in countries
	createdAt  int64 // Unix seconds
	devices    int   // number of app installations
	subscribed bool  // has had a loyalty subscription
}

func (g *generator) core(id int64) core {
	s := g.seed*0x9E3779B97F4A7C15 ^ uint64(id)*0xD1B54A32D192ED03
	u := func() float64 { return float64(splitmix(&s)>>11) / (1 << 53) }
	var c core
	c.country = pick(g.countries, u())
	// Customer ids follow creation order and sign-ups grow linearly over
	// time: the creation fraction is the square root of the id's fraction.
	frac := (float64(id-1) + u()) / float64(g.customers)
	c.createdAt = g.firstSeen + int64(math.Sqrt(frac)*float64(customerSpan))
	if c.createdAt >= g.now {
		c.createdAt = g.now - 1
	}
	switch d := u(); {
	case d < 0.60:
	case d < 0.88:
		c.devices = 1
	case d < 0.97:
		c.devices = 2
	default:
		c.devices = 3
	}
	c.subscribed = u() < 0.30
	return c
}

func splitmix(s *uint64) uint64 {
	*s += 0x9E3779B97F4A7C15
	z := *s
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// chance reports whether a uniform draw falls under p.
func (g *generator) chance(p float64) bool { return g.rng.Float64() < p }

// progressTick calls progress every progressEvery rows.
func progressTick(n int64, progress func(int64)) {
	if n%progressEvery == 0 {
		progress(n)
	}
}
