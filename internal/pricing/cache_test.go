package pricing

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCacheOverlay(t *testing.T) {
	dir := t.TempDir()
	rows := []Row{
		// Replaces the embedded source-A price.
		{Region: "us-east-1", RegionName: "US East (N. Virginia)", InstanceType: "ml.t3.medium", Component: StudioNotebook,
			USDPerHour: MustParseMoney("0.0500000000"), AsOf: "2026-11-02", Source: SourceRefresh},
		// A component the snapshot lacks: no longer an estimate.
		{Region: "us-west-2", InstanceType: "ml.g5.xlarge", Component: Hosting, USDPerHour: MustParseMoney("1.408"),
			AsOf: "2026-11-02", Source: SourceRefresh},
		// Older than the embedded row, but the cache still wins.
		{Region: "eu-west-1", InstanceType: "ml.m5.xlarge", Component: Hosting, USDPerHour: MustParseMoney("0.258"),
			AsOf: "2020-01-01", Source: SourceRefresh},
		// A type and region the snapshot does not know, with specs.
		{Region: "mx-central-1", RegionName: "Mexico (Central)", InstanceType: "ml.m8g.large", Component: Hosting,
			USDPerHour: MustParseMoney("0.1"), VCPU: 2, MemoryGiB: 8, AsOf: "2026-11-02", Source: SourceRefresh},
	}
	if err := WriteCachePrices(dir, rows); err != nil {
		t.Fatal(err)
	}
	storage := []StorageRow{{Region: "us-west-2", Item: "ml-storage-notebook-instance", UsageTypeSuffix: "Notebk:VolumeUsage.gp2",
		Unit: "GB-Mo", USD: MustParseMoney("0.14"), AsOf: "2026-11-02", Source: SourceRefresh}}
	if err := WriteCacheStorage(dir, storage); err != nil {
		t.Fatal(err)
	}

	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		region, typ string
		comp        Component
		want        Price
	}{
		{"us-east-1", "ml.t3.medium", StudioNotebook, Price{Amount: MustParseMoney("0.05"), Known: true, Basis: "studio-notebook", Source: "R", AsOf: "2026-11-02"}},
		{"us-west-2", "ml.g5.xlarge", Hosting, Price{Amount: MustParseMoney("1.408"), Known: true, Basis: "hosting", Source: "R", AsOf: "2026-11-02"}},
		{"eu-west-1", "ml.m5.xlarge", Hosting, Price{Amount: MustParseMoney("0.258"), Known: true, Basis: "hosting", Source: "R", AsOf: "2020-01-01"}},
		// Rows the cache lacks keep their embedded source and date.
		{"eu-west-1", "ml.m5.xlarge", Training, Price{Amount: MustParseMoney("0.257"), Known: true, Basis: "training", Source: "H", AsOf: "2023-12"}},
		{"mx-central-1", "ml.m8g.large", Hosting, Price{Amount: MustParseMoney("0.1"), Known: true, Basis: "hosting", Source: "R", AsOf: "2026-11-02"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, c.Lookup(tt.region, tt.typ, tt.comp)); diff != "" {
			t.Errorf("Lookup(%s, %s, %s) (-want +got):\n%s", tt.region, tt.typ, tt.comp, diff)
		}
	}
	if p := c.Storage("us-west-2", StorageNotebook); !p.Known || p.Estimate || p.Source != "R" {
		t.Errorf("cached storage = %+v", p)
	}
	if s, ok := c.Spec("ml.m8g.large"); !ok || s.VCPU != 2 || s.Family != "m8g" {
		t.Errorf("spec from a cached row = %+v, %v", s, ok)
	}
	if c.RegionName("mx-central-1") != "Mexico (Central)" {
		t.Errorf("region name from the cache = %q", c.RegionName("mx-central-1"))
	}
	info := c.Cache()
	if !info.Used() || info.Prices != 4 || info.Storage != 1 || info.PricesFile != filepath.Join(dir, CachePricesFile) {
		t.Errorf("cache info = %+v", info)
	}
	var refresh *Source
	for _, s := range c.Sources() {
		if s.Letter == SourceRefresh {
			refresh = &s
		}
	}
	if refresh == nil || refresh.Prices != 4 || refresh.Storage != 1 || refresh.Published != "2026-11-02" {
		t.Errorf("refresh source = %+v", refresh)
	}

	// The embedded catalog is unchanged.
	if p := Embedded().Lookup("us-west-2", "ml.g5.xlarge", Hosting); !p.Estimate {
		t.Errorf("overlay changed the embedded catalog: %+v", p)
	}
}

func TestLoadWithoutCache(t *testing.T) {
	for _, dir := range []string{"", filepath.Join(t.TempDir(), "absent")} {
		c, err := Load(dir)
		if err != nil {
			t.Fatalf("Load(%q): %v", dir, err)
		}
		if c.Cache().Used() {
			t.Errorf("Load(%q) uses a cache", dir)
		}
		if got := len(c.Rows()); got != len(Embedded().Rows()) {
			t.Errorf("Load(%q) has %d rows", dir, got)
		}
	}
}

func TestCacheMalformed(t *testing.T) {
	tests := []struct {
		name, file, content, wantErr string
	}{
		{"bad price", CachePricesFile, "region,instance_type,component,usd_per_hour,as_of,source\nus-east-1,ml.t3.medium,hosting,abc,2026-01-01,R\n", "prices.csv:2"},
		{"bad component", CachePricesFile, "region,instance_type,component,usd_per_hour,as_of,source\nus-east-1,ml.t3.medium,spot,0.1,2026-01-01,R\n", `unknown component "spot"`},
		{"missing column", CachePricesFile, "region,instance_type,usd_per_hour\n", `no column "component"`},
		{"bad storage", CacheStorageFile, "region,item,usd,as_of,source\nus-east-1,ml-storage-training,x,2026-01-01,R\n", "storage.csv:2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, tt.file), []byte(tt.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Load error = %v, want one containing %q", err, tt.wantErr)
			}
		})
	}
}

func TestRowsRoundTrip(t *testing.T) {
	rows := Embedded().Rows()
	var buf bytes.Buffer
	if err := WriteRows(&buf, rows); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), strings.Join(PriceColumns, ",")+"\n") {
		t.Errorf("header = %q", strings.SplitN(buf.String(), "\n", 2)[0])
	}
	back, err := ReadRows("rows.csv", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(rows, back); diff != "" {
		t.Errorf("round trip (-wrote +read):\n%s", diff)
	}

	srows := Embedded().StorageRows()
	buf.Reset()
	if err := WriteStorageRows(&buf, srows); err != nil {
		t.Fatal(err)
	}
	sback, err := ReadStorageRows("storage.csv", &buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(srows, sback); diff != "" {
		t.Errorf("storage round trip (-wrote +read):\n%s", diff)
	}
}

// The shared snapshot's own CSV, with all its columns, reads as a cache.
func TestSharedColumnsReadAsCache(t *testing.T) {
	in := "region,region_name,instance_type,component,usd_per_hour,vcpu,memory_gib,as_of,source,note\n" +
		"us-east-1,US East (N. Virginia),ml.t3.medium,notebook-instance,0.05,2,4,2026-09-24,C,\n"
	rows, err := ReadRows("prices.csv", strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{{Region: "us-east-1", RegionName: "US East (N. Virginia)", InstanceType: "ml.t3.medium", Component: NotebookInstance,
		USDPerHour: MustParseMoney("0.05"), VCPU: 2, MemoryGiB: 4, AsOf: "2026-09-24", Source: "C"}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestCacheDir(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"XDG_CACHE_HOME": "/x/cache", "HOME": "/home/u"}, "/x/cache/sagesaver"},
		{map[string]string{"XDG_CACHE_HOME": "relative", "HOME": "/home/u"}, "/home/u/.cache/sagesaver"},
		{map[string]string{"HOME": "/home/u"}, "/home/u/.cache/sagesaver"},
	}
	for _, tt := range tests {
		got, err := CacheDir(env(tt.env))
		if err != nil || got != tt.want {
			t.Errorf("CacheDir(%v) = %q, %v; want %q", tt.env, got, err, tt.want)
		}
	}
}
