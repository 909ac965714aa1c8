package maintenance

import (
	"container/list"
	"net/netip"
	"sync"
	"time"

	"github.com/frontdoor-gateway/frontdoor/modules/internal/limiter"
)

// Limits on bypass secrets.
const (
	// MinSecretLength is the shortest bypass secret accepted, in characters.
	MinSecretLength = 16
	// GuessBurst is how many wrong bypass secrets a client may send at once.
	GuessBurst = 5
	// GuessInterval is how often a client gets one more guess: five a minute.
	GuessInterval = time.Minute / GuessBurst
	// MaxGuessClients bounds the clients whose wrong guesses are remembered.
	MaxGuessClients = 10_000
)

// Guesses limits the bypass secrets each client may get wrong: a token
// bucket per client that holds burst guesses and gets one back every
// interval. Only wrong guesses use it up: a guess is taken before the secret
// is checked (so concurrent guesses cannot overrun the limit), and given
// back when it proves right.
//
// A client is its network as the throttle groups it (limiter.DefaultPrefixes):
// one IPv4 address, or one IPv6 /64, since a subscriber holds a whole /64.
// At most maxClients networks are remembered; a new one evicts the least
// recently seen, which starts again with a full bucket. Safe for concurrent
// use.
type Guesses struct {
	burst      float64
	interval   time.Duration
	maxClients int

	mu      sync.Mutex
	clients map[netip.Prefix]*list.Element
	recent  list.List // of *guessBucket, most recently used first
}

type guessBucket struct {
	client netip.Prefix
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// NewGuesses returns a Guesses that allows burst wrong guesses at once, one
// more every interval, for at most maxClients clients. Values below 1 take
// the defaults GuessBurst, GuessInterval and MaxGuessClients.
func NewGuesses(burst int, interval time.Duration, maxClients int) *Guesses {
	if burst < 1 {
		burst = GuessBurst
	}
	if interval <= 0 {
		interval = GuessInterval
	}
	if maxClients < 1 {
		maxClients = MaxGuessClients
	}
	return &Guesses{
		burst:      float64(burst),
		interval:   interval,
		maxClients: maxClients,
		clients:    make(map[netip.Prefix]*list.Element),
	}
}

// Take takes one guess from client's bucket at now. When none is left it
// returns ok false and how long until the next one: the guess must then not
// be checked at all. Otherwise left is how many guesses remain; a guess that
// proves right is given back with Refund. An invalid address (no client IP)
// is one client of its own.
func (g *Guesses) Take(client netip.Addr, now time.Time) (ok bool, left int, wait time.Duration) {
	key := groupOf(client)
	g.mu.Lock()
	defer g.mu.Unlock()
	var b *guessBucket
	if e, found := g.clients[key]; found {
		g.recent.MoveToFront(e)
		b = e.Value.(*guessBucket)
		g.refill(b, now)
	} else {
		if len(g.clients) >= g.maxClients {
			oldest := g.recent.Back()
			g.recent.Remove(oldest)
			delete(g.clients, oldest.Value.(*guessBucket).client)
		}
		b = &guessBucket{client: key, tokens: g.burst, at: now}
		g.clients[key] = g.recent.PushFront(b)
	}
	if b.tokens < 1 {
		wait = time.Duration((1 - b.tokens) * float64(g.interval))
		return false, 0, max(wait, time.Nanosecond)
	}
	b.tokens--
	return true, int(b.tokens), 0
}

// Refund gives back a guess that client took at now and that proved right.
// A bucket that is full again is forgotten: it is the same as a new one.
func (g *Guesses) Refund(client netip.Addr, now time.Time) {
	key := groupOf(client)
	g.mu.Lock()
	defer g.mu.Unlock()
	e, found := g.clients[key]
	if !found {
		return // evicted meanwhile: it starts full anyway
	}
	b := e.Value.(*guessBucket)
	g.refill(b, now)
	b.tokens = min(b.tokens+1, g.burst)
	if b.tokens >= g.burst {
		g.recent.Remove(e)
		delete(g.clients, key)
	}
}

// Len returns the number of clients remembered.
func (g *Guesses) Len() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.clients)
}

// refill adds the guesses earned since b was last brought up to date. A
// clock that went back earns nothing. g.mu is held.
func (g *Guesses) refill(b *guessBucket, now time.Time) {
	if d := now.Sub(b.at); d > 0 {
		b.tokens = min(g.burst, b.tokens+float64(d)/float64(g.interval))
		b.at = now
	}
}

func groupOf(client netip.Addr) netip.Prefix {
	if !client.IsValid() {
		return netip.Prefix{}
	}
	return limiter.DefaultPrefixes.Group(client)
}
