package config

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type streamDoc struct {
	Name   string                `yaml:"name"`
	Groups map[string]streamList `yaml:"groups"`
	Items  []streamItem          `yaml:"items"`
}

type streamList struct {
	Items []streamItem `yaml:"items"`
}

type streamItem struct {
	Name  string        `yaml:"name"`
	Every time.Duration `yaml:"every"`
	Tags  []string      `yaml:"tags"`
	Sub   []streamItem  `yaml:"sub,omitempty"`
}

// bigDoc is a document of long sequences, nested, at two indentations.
func bigDoc(n int, bad int) string {
	var b strings.Builder
	b.WriteString("# a big document\nname: big\ngroups:\n  g1:\n    items:\n")
	for i := range n {
		fmt.Fprintf(&b, "    - name: g-%d # comment\n      every: 5m\n      tags: [a, b]\n", i)
		if i == 7 {
			b.WriteString("      sub:\n")
			for j := range 100 {
				fmt.Fprintf(&b, "      - name: sub-%d\n        every: 1h\n", j)
			}
		}
	}
	b.WriteString("items:\n")
	for i := range n {
		every := "1m"
		if i == bad {
			every = "soon"
		}
		fmt.Fprintf(&b, "- name: i-%d\n  every: %s\n  tags:\n  - x\n\n", i, every)
	}
	return b.String()
}

func TestStreamedEqualsWhole(t *testing.T) {
	data := []byte(bigDoc(5000, -1))
	if len(data) < minStreamBytes {
		t.Fatalf("document of %d bytes is not streamed", len(data))
	}
	sc, err := scanBounds("big.yaml", data, DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	if got := outermost(sc.big); len(got) != 2 {
		t.Fatalf("%d sequences to stream, want 2", len(got))
	}
	var streamed, whole streamDoc
	if err := DecodeStrict("big.yaml", data, &streamed); err != nil {
		t.Fatal(err)
	}
	if _, err := decodeWhole("big.yaml", data, &whole); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(whole, streamed); diff != "" {
		t.Fatalf("streamed differs from whole (-whole +streamed):\n%s", diff)
	}
	if len(streamed.Items) != 5000 || len(streamed.Groups["g1"].Items[7].Sub) != 100 {
		t.Fatalf("items %d, sub %d", len(streamed.Items), len(streamed.Groups["g1"].Items[7].Sub))
	}
}

// An error in one streamed entry names the document's line and the
// entry's full path, as the whole decode does.
func TestStreamedErrorLine(t *testing.T) {
	doc := bigDoc(5000, 4321)
	var d streamDoc
	err := DecodeStrict("big.yaml", []byte(doc), &d)
	lines := strings.Split(doc, "\n")
	want := 0
	for i, l := range lines {
		if strings.Contains(l, "every: soon") {
			want = i + 1
		}
	}
	wantMsg := fmt.Sprintf("big.yaml:%d:10: field \"items[4321].every\":", want)
	if err == nil || !strings.HasPrefix(err.Error(), wantMsg) {
		t.Fatalf("err = %v, want %s ...", err, wantMsg)
	}
}
