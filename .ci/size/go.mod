module size

go 1.26.0
