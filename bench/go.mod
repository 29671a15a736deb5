module github.com/opengovcloud/govcloud/bench

go 1.26.0

require (
	github.com/opengovcloud/govcloud v0.0.0-00010101000000-000000000000
	github.com/rickar/cal/v2 v2.1.13
)

replace github.com/opengovcloud/govcloud => ../
