package config

//go:generate go run ./partitionsgen
