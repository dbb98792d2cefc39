// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "EMRStream",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "emr", targets: ["emr"]),
        .library(name: "Kafka", targets: ["Kafka"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        // C shims: the only targets that see C headers.
        .systemLibrary(
            name: "CRdKafka",
            pkgConfig: "rdkafka",
            providers: [.apt(["librdkafka-dev"])]
        ),
        .systemLibrary(
            name: "CSQLite",
            pkgConfig: "sqlite3",
            providers: [.apt(["libsqlite3-dev"])]
        ),
        .systemLibrary(name: "CStdio"),

        // Kafka: safe Swift over librdkafka (producer, consumer, admin, embedded broker, topics as code).
        .target(
            name: "Kafka",
            dependencies: [
                "CRdKafka",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // Chronology: dates and instants in UTC (calendar arithmetic, the one RFC 3339 parser, formatting).
        .target(name: "Chronology"),

        // Synthea: streaming CSV reader, entity schemas, facility slicing, event-time order, generator.
        .target(name: "Synthea", dependencies: ["Chronology"]),

        // Staging: raw row to typed record or a list of reasons (names, types, exact money).
        .target(name: "Staging", dependencies: ["Chronology", "Synthea"]),

        // State: the SQLite state file (schema and migrations, batch transactions, offsets, quarantine).
        .target(name: "State", dependencies: ["CSQLite", "Chronology"]),

        // Marts: current versions per key, derived fields, incremental marts with retraction,
        // their batch definitions (SQL) for verification, and exports.
        .target(name: "Marts", dependencies: ["Chronology", "Staging", "State", "Synthea"]),

        // Pipeline: the producer loop (slices to Kafka messages, pacing, progress) and the consumer loop.
        .target(
            name: "Pipeline",
            dependencies: ["Kafka", "Chronology", "Synthea", "Staging", "State", "Marts", .product(name: "Logging", package: "swift-log")]
        ),

        // Service: the consumer as an HTTP service (health, readiness, Prometheus metrics, marts
        // API) with graceful start-up and shutdown.
        .target(
            name: "Service",
            dependencies: [
                "Pipeline", "Marts", "Staging", "State", "Kafka",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // The CLI: thin commands over the libraries.
        .executableTarget(
            name: "emr",
            dependencies: [
                "CStdio",
                "Kafka",
                "Synthea",
                "Pipeline",
                "Service",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                "Marts",
                "State",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),

        // What the test targets share: the shared exports, seeds, temporary directories, processes.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(
            name: "KafkaTests",
            dependencies: ["Kafka", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "SyntheaTests", dependencies: ["Chronology", "Synthea", "Staging", "TestSupport"]),
        .testTarget(name: "StateTests", dependencies: ["State", "Synthea", "TestSupport"]),
        .testTarget(name: "MartsTests", dependencies: ["Marts", "Staging", "State", "Synthea", "TestSupport"]),
        .testTarget(name: "PipelineTests", dependencies: ["Pipeline", "Chronology", "Synthea", "TestSupport", "Staging", "Marts", "State", "Kafka", .product(name: "Logging", package: "swift-log")]),
        // Runs the built `emr` executable and kcat as a user would.
        .testTarget(
            name: "CLITests",
            dependencies: ["emr", "Kafka", "Synthea", "Pipeline", "Marts", "State", "Service", "TestSupport", .product(name: "Logging", package: "swift-log")]
        ),
    ],
    swiftLanguageModes: [.v6]
)
