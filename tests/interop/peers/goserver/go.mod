module parley.test/goserver

go 1.19
