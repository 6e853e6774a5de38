// swift-tools-version: 6.1
import PackageDescription

// Benchmarks live in their own package so that CI's test build does not compile the harness.
// Run: cd Benchmarks && MODCHECK_BENCH_REPO=<linux v5.4 git dir> MODCHECK_BENCH_SERIES=<dir of 1.eml..7.eml> \
//      MODCHECK_BENCH_CHECKPATCH=<dir with checkpatch.pl> swift package benchmark
let package = Package(
    name: "modcheck-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "modcheck", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ModcheckBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "Workflows", package: "modcheck"),
            ],
            path: "Benchmarks/ModcheckBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
