module parley.test/goclient

go 1.19
