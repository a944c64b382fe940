package sagemakerapi

import (
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
)

func TestEndpoint(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	tests := []struct {
		name    string
		cfg     aws.Config
		env     map[string]string
		want    string
		wantErr bool
	}{
		{"regional", aws.Config{Region: "eu-west-1"}, nil, "https://api.sagemaker.eu-west-1.amazonaws.com", false},
		{"china", aws.Config{Region: "cn-north-1"}, nil, "https://api.sagemaker.cn-north-1.amazonaws.com.cn", false},
		{"govcloud", aws.Config{Region: "us-gov-west-1"}, nil, "https://api.sagemaker.us-gov-west-1.amazonaws.com", false},
		{"base endpoint", aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String("http://127.0.0.1:4566")}, nil, "http://127.0.0.1:4566", false},
		{"service env wins", aws.Config{Region: "eu-west-1", BaseEndpoint: aws.String("http://a")}, map[string]string{"AWS_ENDPOINT_URL_SAGEMAKER": "https://vpce"}, "https://vpce", false},
		{"ignored service env", aws.Config{Region: "eu-west-1"}, map[string]string{"AWS_ENDPOINT_URL_SAGEMAKER": "https://vpce", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "true"}, "https://api.sagemaker.eu-west-1.amazonaws.com", false},
		{"no region", aws.Config{}, nil, "", true},
		{"bad region", aws.Config{Region: "eu-west-1/../x"}, nil, "", true},
	}
	for _, tt := range tests {
		got, err := endpoint(tt.cfg, env(tt.env))
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("%s: %q, %v; want %q (error %v)", tt.name, got, err, tt.want, tt.wantErr)
		}
	}
}
