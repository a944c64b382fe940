package config

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
)

// partition is one AWS partition: its region name pattern and the regions
// the SDK knows in it (partitions_gen.go, from the SDK's own data).
type partition struct {
	id      string
	pattern string
	regions []string
}

var compiledPartitions = sync.OnceValue(func() []*regexp.Regexp {
	out := make([]*regexp.Regexp, len(partitions))
	for i, p := range partitions {
		out[i] = regexp.MustCompile(p.pattern)
	}
	return out
})

// CheckRegion checks a region name before any call is made to it. A region
// the SDK knows is good; a name that matches a partition's pattern but
// that this build's SDK does not list (a region newer than the build) is
// accepted with warning set, to be shown to the user; anything else is an
// error that suggests the nearest region name. AWS answers a request to a
// misspelt region with an empty list as often as with an error, so a typo
// would otherwise look like an empty account.
func CheckRegion(name string) (warning string, err error) {
	for _, p := range partitions {
		if slices.Contains(p.regions, name) {
			return "", nil
		}
	}
	for i, re := range compiledPartitions() {
		if re.MatchString(name) {
			return fmt.Sprintf("region %q is not one this build knows (aws-sdk-go-v2 %s); going ahead as a new region of partition %s", name, sdkVersion, partitions[i].id), nil
		}
	}
	if lower := strings.ToLower(strings.TrimSpace(name)); lower != name {
		if w, err := CheckRegion(lower); err == nil && w == "" {
			return "", fmt.Errorf("%q is not a region: region names are lower case; did you mean %s?", name, lower)
		}
	}
	if best := nearestRegion(name); best != "" {
		return "", fmt.Errorf("%q is not an AWS region; did you mean %s?", name, best)
	}
	return "", fmt.Errorf("%q is not an AWS region: want e.g. us-east-1 or eu-west-1", name)
}

// nearestRegion is the known region closest to name in edit distance, if
// any is close enough to be a plausible typo.
func nearestRegion(name string) string {
	best, bestD := "", 5
	for _, p := range partitions {
		for _, r := range p.regions {
			if d := editDistance(strings.ToLower(name), r); d < bestD {
				best, bestD = r, d
			}
		}
	}
	return best
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
