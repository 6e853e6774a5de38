// swift-tools-version: 6.0
import PackageDescription

// Developer probes for ACCURACY.md: ask the model what it believes about a real tree (Kconfig
// ranges, units, resolved references) so that scripts/accuracy-* can compare it with the
// kernel's own tools (conf, the compiler, nm -u). Its own package: CI never builds it.
// Run: swift run -c release --package-path Tools modcheck-probe --help
let package = Package(
    name: "modcheck-tools",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "modcheck", path: "..")
    ],
    targets: [
        .executableTarget(
            name: "modcheck-probe",
            dependencies: [.product(name: "Workflows", package: "modcheck")],
            path: "Sources/modcheck-probe")
    ]
)
