// swift-tools-version:6.0
import PackageDescription

// Layers, imports pointing down only (see docs/ARCHITECTURE.md):
// silo (CLI) → SiloOps (state, run history, run lock; `silo run`, hooks, schedule units) → SiloConfig,
//                SiloPostgres, SiloEngine;
// SiloConfig (operations: the configuration file; Foundation and Yams only);
// silo (CLI) → SiloMonitor (checks, Prometheus/Nagios, escalation) → SiloOps, SiloNotify;
// silo (CLI) → SiloSystem (services, health checks, restore --system, drills) → SiloOps, SiloPostgres, SiloNotify;
// silo (CLI) → SiloWeb (`silo serve`, Hummingbird) → SiloLegacy, SiloEngine;
// SiloNotify → SiloConfig, CCurl, COpenSSL (alert delivery; never the engine or the repository);
// silo (CLI) → SiloPostgres, SiloLegacy → SiloEngine → SiloRepository → SiloFormat, SiloStorage → C shims;
// SiloS3 → SiloStorage (a backend the CLI picks by URL).
// Every target names each module its files import: `make test` runs scripts/check-imports.sh and
// builds with `--explicit-target-dependency-import-check error`.
let package = Package(
    name: "Silo",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "silo", targets: ["silo"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        // `silo serve` only (SiloWeb): the HTTP server, its TLS, and what SiloWeb imports of them.
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
    ],
    targets: [
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        // libssl for https:// (SiloS3 only; the format needs just libcrypto).
        .systemLibrary(name: "CLibSSL", pkgConfig: "libssl", providers: [.apt(["libssl-dev"])]),
        // Linux calls the Glibc module does not export (extended attributes).
        .systemLibrary(name: "CLinux"),
        .systemLibrary(name: "CSQLite3", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "CLibPQ", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libcurl (easy interface) delivers notifications: HTTPS webhooks and SMTP (SiloNotify only).
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),

        .target(name: "SiloStorage", dependencies: ["CLinux"]),
        .target(name: "SiloS3", dependencies: ["SiloStorage", "COpenSSL", "CLibSSL"]),
        .target(name: "SiloFormat", dependencies: ["CZstd", "COpenSSL"]),
        .target(name: "SiloRepository", dependencies: ["SiloFormat", "SiloStorage", "CSQLite3"]),
        .target(name: "SiloEngine", dependencies: ["SiloRepository", "SiloFormat", "SiloStorage", "CLinux"]),
        .target(name: "SiloPostgres", dependencies: ["SiloEngine", "SiloRepository", "SiloFormat", "CLibPQ", "CLinux"]),
        .target(name: "SiloLegacy", dependencies: ["SiloEngine", "SiloRepository", "SiloFormat", "CZlib", "CZstd", "COpenSSL"]),
        // Operations: the configuration file (docs/CONFIG.md): knows nothing of the CLI, the engine or PostgreSQL.
        .target(name: "SiloConfig", dependencies: [.product(name: "Yams", package: "Yams")]),
        // Operations: notification delivery to the configured channels (Slack, e-mail, webhooks,
        // healthchecks pings) over libcurl; COpenSSL for the webhook signature. Nothing of the engine.
        .target(name: "SiloNotify", dependencies: ["SiloConfig", "CCurl", "COpenSSL"]),
        // Operations: the state directory, run history and run lock (State/, on CSQLite3 alone), and
        // what runs a configuration: `silo run` (Run/) and its schedule units (Schedule/).
        .target(name: "SiloOps", dependencies: ["CSQLite3", "CLinux", "SiloConfig", "SiloEngine", "SiloPostgres", "SiloRepository", "SiloFormat", "SiloStorage"]),
        // Monitoring: the checks `silo monitor` makes from the repository and the run history, their
        // Prometheus and Nagios forms, and escalation (which alerts go to which tier, when).
        .target(name: "SiloMonitor", dependencies: ["SiloOps", "SiloConfig", "SiloNotify", "SiloEngine", "SiloRepository", "SiloFormat"]),
        // The platform around the backups: services (systemd, PM2, commands) and their health
        // checks, `restore --system` (plan, verify, stop, swap, start, roll back; a journal for
        // resume) and restore drills. SiloNotify for its plain HTTP GET (http health checks).
        .target(name: "SiloSystem", dependencies: ["SiloOps", "SiloConfig", "SiloNotify", "SiloEngine", "SiloPostgres", "SiloRepository", "SiloFormat", "SiloStorage"]),
        // `silo serve`: the snapshot browser and the read-only WebDAV drive, on Hummingbird. The
        // only target that depends on Hummingbird or SwiftNIO; nothing below it knows it exists.
        .target(name: "SiloWeb", dependencies: ["SiloEngine", "SiloRepository", "SiloFormat", "SiloLegacy",
                                                .product(name: "Hummingbird", package: "hummingbird"),
                                                .product(name: "HummingbirdCore", package: "hummingbird"),
                                                .product(name: "HummingbirdTLS", package: "hummingbird"),
                                                .product(name: "HTTPTypes", package: "swift-http-types"),
                                                .product(name: "NIOCore", package: "swift-nio"),
                                                .product(name: "NIOPosix", package: "swift-nio"),
                                                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                                                .product(name: "Logging", package: "swift-log")]),
        .executableTarget(
            name: "silo",
            dependencies: ["SiloWeb", "SiloEngine", "SiloRepository", "SiloFormat", "SiloStorage", "SiloPostgres", "SiloLegacy", "SiloS3", "SiloConfig", "SiloOps", "SiloMonitor", "SiloNotify", "SiloSystem", "CLinux",
                           .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        // What tests share (the store conformance suite, fault injection, scratch repositories,
        // catalog inspection): a regular target so that test targets can depend on it, and
        // one that nothing shipped depends on.
        .target(name: "SiloTestSupport", dependencies: ["SiloRepository", "SiloStorage"]),
        .executableTarget(
            name: "silo-bench",
            dependencies: ["SiloFormat", "CZstd", "COpenSSL"],
            path: "Benchmarks/Micro"
        ),

        // Both backends run SiloTestSupport's conformance suite.
        .testTarget(name: "SiloStorageTests", dependencies: ["SiloStorage", "CLinux", "SiloTestSupport"]),
        .testTarget(name: "SiloS3Tests", dependencies: ["SiloS3", "SiloStorage", "SiloTestSupport"]),
        .testTarget(name: "SiloFormatTests", dependencies: ["SiloFormat", "SiloTestSupport"]),
        .testTarget(name: "SiloRepositoryTests", dependencies: ["SiloRepository", "SiloFormat", "SiloStorage", "SiloTestSupport"]),
        .testTarget(name: "SiloEngineTests", dependencies: ["SiloEngine", "SiloRepository", "SiloFormat", "SiloStorage", "CLinux", "SiloTestSupport"]),
        .testTarget(name: "SiloPostgresTests", dependencies: ["SiloPostgres"]),
        .testTarget(name: "SiloLegacyTests", dependencies: ["SiloLegacy", "SiloEngine", "SiloRepository", "SiloFormat", "SiloStorage", "SiloTestSupport"]),
        // SiloConfig: the schedule tests build configurations to derive units from.
        .testTarget(name: "SiloOpsTests", dependencies: ["SiloOps", "SiloConfig"]),
        .testTarget(name: "SiloMonitorTests", dependencies: ["SiloMonitor", "SiloOps", "SiloConfig", "SiloFormat"]),
        // Against real receivers (scripts/notify-test-servers.sh): SMTP (aiosmtpd), HTTP and HTTPS.
        // Service controls against stand-ins for systemctl and pm2, health checks against real listeners.
        .testTarget(name: "SiloSystemTests", dependencies: ["SiloSystem", "SiloConfig", "SiloOps"]),
        .testTarget(name: "SiloNotifyTests", dependencies: ["SiloNotify", "SiloConfig"]),
        // Yams: the documentation test turns each YAML example into JSON for the JSON Schema check.
        .testTarget(name: "SiloConfigTests", dependencies: ["SiloConfig", .product(name: "Yams", package: "Yams")]),
        .testTarget(name: "SiloCLITests", dependencies: ["silo", "SiloTestSupport", "SiloRepository", "SiloLegacy", "SiloOps", .product(name: "ArgumentParser", package: "swift-argument-parser")]),
    ]
)
