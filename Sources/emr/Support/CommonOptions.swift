import ArgumentParser
import Foundation
import Kafka
import Logging
import Pipeline

/// `--brokers` and the librdkafka pass-through, shared by every command that talks to Kafka.
struct KafkaOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("Bootstrap servers, host:port[,host:port...].", valueName: "host:port"))
    var brokers: String = ProcessInfo.processInfo.environment["EMR_BROKERS"] ?? KafkaConfiguration.defaultBrokers

    @Option(name: .customLong("kafka-property"), help: ArgumentHelp("Any librdkafka property (repeatable), e.g. security.protocol=SASL_SSL.", valueName: "key=value"))
    var kafkaProperties: [String] = []

    @Option(name: .customLong("kafka-config"), help: ArgumentHelp("A properties file of librdkafka settings.", valueName: "file"))
    var kafkaConfigFile: String?

    /// Environment (EMR_KAFKA_*), then the file, then command-line properties.
    func configuration() throws -> KafkaConfiguration {
        var config = try KafkaConfiguration.fromEnvironment(bootstrapServers: brokers)
        if let kafkaConfigFile { try config.merge(propertiesFile: kafkaConfigFile) }
        try config.merge(assignments: kafkaProperties)
        return config
    }
}

/// `--log-level`, shared by every command.
struct LoggingOptions: ParsableArguments {
    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: Logger.Level = .notice

    /// Sets up swift-log (stderr) and returns a logger labelled for the command.
    func makeLogger(_ label: String) -> Logger {
        LoggingSetup.bootstrapOnce()
        var logger = Logger(label: label)
        logger.logLevel = logLevel
        return logger
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}

/// `--topics`: where topic declarations live; without it, the declarations compiled into emr
/// (the repository's `topics/`), so every command runs from any directory.
struct TopicsDirectoryOption: ParsableArguments {
    @Option(name: .customLong("topics"),
            help: ArgumentHelp("Directory of topic declarations (*.properties) instead of the built-in ones (also EMR_TOPICS).", valueName: "dir"))
    var given: String?

    /// `--topics`, else `EMR_TOPICS` when set and not empty.
    var directory: String? { given ?? ProcessInfo.processInfo.environment["EMR_TOPICS"].flatMap { $0.isEmpty ? nil : $0 } }

    func catalog() throws -> TopicCatalog {
        if let directory { return try TopicCatalog.load(directory: directory) }
        return try BuiltInTopics.catalog()
    }
}

enum LoggingSetup {
    private static let once: Void = {
        LoggingSystem.bootstrap { label in StreamLogHandler.standardError(label: label) }
    }()

    static func bootstrapOnce() { once }
}
