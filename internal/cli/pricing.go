package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/sagesaver/sagesaver/internal/cli/root"
	"github.com/sagesaver/sagesaver/internal/config"
	"github.com/sagesaver/sagesaver/internal/pricing"
	"github.com/sagesaver/sagesaver/internal/report"
)

func newPricingCmd(a *app) *cobra.Command {
	cmd := &cobra.Command{
		Use: "pricing",
		Example: `  sagesaver pricing info
  sagesaver pricing show --region us-east-1 --instance-type ml.g5.xlarge
  sagesaver pricing refresh`,
		Short: "Show the SageMaker prices sagesaver uses and where they come from",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(newPricingInfoCmd(a), newPricingShowCmd(a), newPricingRefreshCmd(a))
	return cmd
}

// priceCatalog returns the embedded catalog overlaid by the local cache
// that `sagesaver pricing refresh` writes.
func (a *app) priceCatalog() (*pricing.Catalog, error) {
	dir, err := pricing.CacheDir(a.Getenv)
	if err != nil {
		return nil, err
	}
	c, err := pricing.Load(dir)
	if err != nil {
		return nil, fmt.Errorf("%w (fix or delete the file, or run sagesaver pricing refresh)", err)
	}
	return c, nil
}

type pricingInfo struct {
	Schema        string            `json:"schema"`
	Sources       []pricing.Source  `json:"sources"`
	Regions       []pricing.Region  `json:"regions"`
	InstanceTypes int               `json:"instance_types"`
	PricedTypes   int               `json:"priced_instance_types"`
	Prices        int               `json:"prices"`
	StoragePrices int               `json:"storage_prices"`
	Cache         pricing.CacheInfo `json:"cache"`
	CacheInUse    bool              `json:"cache_in_use"`
}

func newPricingInfoCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use: "info",
		Example: `  sagesaver pricing info
  sagesaver pricing info -o json`,
		Short: "Print the price data's sources, dates, regions and whether a refreshed local cache is in use",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.priceCatalog()
			if err != nil {
				return err
			}
			rows := c.Rows()
			priced := map[string]bool{}
			for _, r := range rows {
				priced[r.InstanceType] = true
			}
			info := pricingInfo{
				Schema: report.SchemaPricingInfo, Sources: c.Sources(), Regions: c.Regions(), InstanceTypes: len(c.Specs()), PricedTypes: len(priced),
				Prices: len(rows), StoragePrices: len(c.StorageRows()), Cache: c.Cache(), CacheInUse: c.Cache().Used(),
			}
			return writePricingInfo(a.Stdio.Out, a.Cfg.Output, info)
		},
	}
}

func writePricingInfo(w io.Writer, format string, info pricingInfo) error {
	if format == config.OutputJSON {
		return report.EncodeJSON(w, info)
	}
	head := []string{"SOURCE", "PUBLISHED", "PRICES", "STORAGE", "DESCRIPTION"}
	var rows [][]string
	for _, s := range info.Sources {
		rows = append(rows, []string{s.Letter, s.Published, strconv.Itoa(s.Prices), strconv.Itoa(s.Storage), s.Title})
	}
	if format == config.OutputCSV {
		return writePricingTable(w, format, head, rows)
	}
	cache := "none; embedded snapshot only"
	switch {
	case info.CacheInUse:
		cache = fmt.Sprintf("in use, takes precedence: %d prices, %d storage prices from %s", info.Cache.Prices, info.Cache.Storage, info.Cache.Dir)
	case info.Cache.Dir != "":
		cache = fmt.Sprintf("none in %s; embedded snapshot only", info.Cache.Dir)
	}
	codes := make([]string, len(info.Regions))
	for i, r := range info.Regions {
		codes[i] = r.Code
	}
	fmt.Fprintf(w, "Prices:         %d instance prices, %d storage and data prices\n", info.Prices, info.StoragePrices)
	fmt.Fprintf(w, "Instance types: %d with specs, %d priced\n", info.InstanceTypes, info.PricedTypes)
	fmt.Fprintf(w, "Regions (%d):   %s\n", len(codes), strings.Join(codes, ", "))
	fmt.Fprintf(w, "Local cache:    %s\n\n", cache)
	return writePricingTable(w, format, head, rows)
}

// priceLine is one row of `pricing show`; its JSON form is stable.
type priceLine struct {
	Region       string         `json:"region"`
	InstanceType string         `json:"instance_type"`
	Component    string         `json:"component"`
	USDPerHour   *pricing.Money `json:"usd_per_hour"`  // null when unknown
	USDPerMonth  *pricing.Money `json:"usd_per_month"` // null when unknown
	Estimate     bool           `json:"estimate"`
	NotOffered   bool           `json:"not_offered,omitempty"`
	Basis        string         `json:"basis,omitempty"`
	Source       string         `json:"source,omitempty"`
	AsOf         string         `json:"as_of,omitempty"`
}

func newPricingShowCmd(a *app) *cobra.Command {
	var component, instanceType, family string
	var estimates bool
	cmd := &cobra.Command{
		Use:   "show",
		Short: "List hourly and monthly (730 h) prices",
		Long: `List hourly and monthly (730 h) on-demand prices by region, instance type
and component. Without --region, every region is listed.

A price marked "~" (estimate: true in JSON) is the same instance's price for
another component in the same region, used where the component has none of
its own; "unknown" means the data has nothing for the type in that region.
Estimated rows are listed when an instance type is named or with --estimates.

Components: ` + strings.Join(componentNames(), ", "),
		Example: `  sagesaver pricing show --region us-east-1 --component hosting
  sagesaver pricing show --region eu-west-1 --instance-type ml.g5.xlarge -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			comps := pricing.Components()
			if component != "" {
				comp, err := pricing.ParseComponent(component)
				if err != nil {
					return root.UsageError("--component: %v", err)
				}
				comps = []pricing.Component{comp}
			}
			c, err := a.priceCatalog()
			if err != nil {
				return err
			}
			regions := a.priceRegions()
			if len(regions) == 0 {
				for _, r := range c.Regions() {
					regions = append(regions, r.Code)
				}
			}
			lines := pricingLines(c, regions, comps, instanceType, family, estimates || instanceType != "")
			return writePriceLines(a.Stdio.Out, a.Cfg.Output, lines)
		},
	}
	f := cmd.Flags()
	f.StringVar(&component, "component", "", "only this component")
	f.StringVar(&instanceType, "instance-type", "", "only this instance type, e.g. ml.m5.xlarge (estimates and unknowns included)")
	f.StringVar(&family, "family", "", "only this instance family, e.g. g5")
	f.BoolVar(&estimates, "estimates", false, "also list estimated prices for components without a price of their own")
	return cmd
}

func componentNames() []string {
	var out []string
	for _, c := range pricing.Components() {
		out = append(out, string(c))
	}
	return out
}

func pricingLines(c *pricing.Catalog, regions []string, comps []pricing.Component, instanceType, family string, estimates bool) []priceLine {
	var lines []priceLine
	for _, region := range regions {
		types := []string{instanceType}
		if instanceType == "" {
			types = c.InstanceTypes(region)
		}
		for _, typ := range types {
			if family != "" && !strings.HasPrefix(typ, "ml."+family+".") {
				continue
			}
			for _, comp := range comps {
				p := c.Lookup(region, typ, comp)
				if !estimates && (!p.Known || p.Estimate) {
					continue
				}
				l := priceLine{Region: region, InstanceType: typ, Component: string(comp), Estimate: p.Estimate,
					NotOffered: p.NotOffered, Source: p.Source, AsOf: p.AsOf}
				if p.Estimate {
					l.Basis = p.Basis
				}
				if p.Known {
					hour, month := p.Amount, p.Monthly().Amount
					l.USDPerHour, l.USDPerMonth = &hour, &month
				}
				lines = append(lines, l)
			}
		}
	}
	return lines
}

func writePriceLines(w io.Writer, format string, lines []priceLine) error {
	if format == config.OutputJSON {
		if lines == nil {
			lines = []priceLine{}
		}
		return report.EncodeJSON(w, struct {
			Schema string      `json:"schema"`
			Prices []priceLine `json:"prices"`
		}{report.SchemaPricingShow, lines})
	}
	if format == config.OutputCSV {
		head := []string{"region", "instance_type", "component", "usd_per_hour", "usd_per_month", "estimate", "not_offered", "basis", "source", "as_of"}
		var rows [][]string
		for _, l := range lines {
			hour, month := "", ""
			if l.USDPerHour != nil {
				hour, month = l.USDPerHour.Plain(), l.USDPerMonth.Plain()
			}
			rows = append(rows, []string{l.Region, l.InstanceType, l.Component, hour, month,
				strconv.FormatBool(l.Estimate), strconv.FormatBool(l.NotOffered), l.Basis, l.Source, l.AsOf})
		}
		return writePricingTable(w, format, head, rows)
	}
	head := []string{"REGION", "INSTANCE TYPE", "COMPONENT", "$/HOUR", "$/MONTH", "SOURCE"}
	var rows [][]string
	for _, l := range lines {
		hour, month, src := "unknown", "unknown", "-"
		if l.USDPerHour != nil {
			hour, month = l.USDPerHour.FormatRate(), l.USDPerMonth.String()
			src = strings.TrimSpace(l.Source + " " + l.AsOf)
		}
		if l.Estimate {
			hour, month = "~"+hour, "~"+month
			src = "estimate from " + l.Basis + " (" + src + ")"
			if l.NotOffered {
				src += ", not offered by AWS"
			}
		}
		rows = append(rows, []string{l.Region, l.InstanceType, l.Component, hour, month, src})
	}
	return writePricingTable(w, format, head, rows)
}

// writePricingTable writes a table as CSV, a Markdown table or aligned text.
// TODO(report): use internal/report's renderers once they exist.
func writePricingTable(w io.Writer, format string, head []string, rows [][]string) error {
	switch format {
	case config.OutputCSV:
		cw := csv.NewWriter(w)
		_ = cw.Write(head)
		_ = cw.WriteAll(rows) // WriteAll flushes and returns the first error
		return cw.Error()
	case config.OutputMarkdown:
		line := func(cells []string) {
			esc := make([]string, len(cells))
			for i, c := range cells {
				esc[i] = strings.ReplaceAll(c, "|", `\|`)
			}
			fmt.Fprintf(w, "| %s |\n", strings.Join(esc, " | "))
		}
		line(head)
		line(slices.Repeat([]string{"---"}, len(head)))
		for _, r := range rows {
			line(r)
		}
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

// priceRegions is --region for the pricing commands: the regions named, or
// nil (every region) for "all" or none.
func (a *app) priceRegions() []string {
	var regions []string
	for _, r := range a.Cfg.Regions {
		if r == "all" {
			return nil
		}
		regions = append(regions, r)
	}
	return regions
}
