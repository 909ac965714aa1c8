package metrics

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func newCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "frontdoor_test_total",
		Help: "Test counter.",
	}, []string{"result"})
}

func TestRegisterReusesExisting(t *testing.T) {
	reg := prometheus.NewRegistry()
	first, err := Register(reg, newCounter())
	if err != nil {
		t.Fatal(err)
	}
	first.WithLabelValues("ok").Inc()

	second, err := Register(reg, newCounter())
	if err != nil {
		t.Fatalf("second registration: %v", err)
	}
	second.WithLabelValues("ok").Inc()

	if got := testutil.ToFloat64(first.WithLabelValues("ok")); got != 2 {
		t.Fatalf("counter = %v, want 2 (second registration must reuse the first collector)", got)
	}
}

func TestRegisterConflictIsAnError(t *testing.T) {
	reg := prometheus.NewRegistry()
	if _, err := Register(reg, newCounter()); err != nil {
		t.Fatal(err)
	}
	clash := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "frontdoor_test_total",
		Help: "Test counter.",
	}, []string{"other"})
	if _, err := Register(reg, clash); err == nil {
		t.Fatal("registering a clashing collector succeeded, want an error")
	}
}

func TestRegisterNilRegistry(t *testing.T) {
	c, err := Register[*prometheus.CounterVec](nil, newCounter())
	if err != nil || c == nil {
		t.Fatalf("Register(nil) = %v, %v", c, err)
	}
}
