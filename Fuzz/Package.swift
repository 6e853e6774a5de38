// swift-tools-version: 6.0
import PackageDescription

// libFuzzer targets for modcheck's parsers, in their own package so that CI's build is unaffected.
// Build and run with ../scripts/fuzz (it passes -sanitize=fuzzer,address).
let package = Package(
    name: "modcheck-fuzz",
    dependencies: [.package(name: "modcheck", path: "..")],
    targets: [
        .executableTarget(
            name: "modcheck-fuzz",
            dependencies: [.product(name: "Workflows", package: "modcheck")])
    ]
)
