// swift-tools-version: 6.0
import PackageDescription

// Targets follow the data flow: source (Git, Mail) -> facts (Kconfig, Kbuild, CSource, Facts)
// -> model -> rules -> report; Workflows wires them for each subcommand, modcheck is the CLI.
let package = Package(
    name: "modcheck",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "modcheck", targets: ["modcheck"]),
        .library(name: "Workflows", targets: ["Workflows"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "5.0.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CLibGit2", pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"])]),
        .target(name: "Git", dependencies: ["CLibGit2"]),
        .target(name: "Mail"),
        .target(name: "Kconfig"),
        .target(name: "Kbuild"),
        .target(name: "CSource"),
        .target(name: "Facts", dependencies: ["Git", "Kconfig", "Kbuild", "CSource"]),
        .target(name: "Model", dependencies: ["Facts", "Kconfig", "Kbuild", "CSource"]),
        .target(name: "Rules", dependencies: ["Model", "Yams"]),
        .target(name: "Report", dependencies: ["Rules"]),
        .target(
            name: "Workflows",
            dependencies: ["Git", "Mail", "Kconfig", "Kbuild", "CSource", "Facts", "Model", "Rules", "Report"]),
        .executableTarget(
            name: "modcheck",
            dependencies: ["Workflows", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
        .testTarget(name: "GitTests", dependencies: ["Git"]),
        .testTarget(name: "MailTests", dependencies: ["Mail"]),
        .testTarget(name: "KconfigTests", dependencies: ["Kconfig"]),
        .testTarget(name: "KbuildTests", dependencies: ["Kbuild"]),
        .testTarget(name: "CSourceTests", dependencies: ["CSource"]),
        .testTarget(name: "ModcheckTests", dependencies: ["Workflows", "Git", "Facts", "Kconfig", "Model", "Rules", "Report", "Mail"]),
    ]
)
