import ArgumentParser
import Foundation
import Kafka

/// `emr bench`: benchmarks that print figures (never timed tests).
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmarks that print throughput figures.",
        subcommands: [KafkaRoundTrip.self, ConsumeBench.self, ReportBench.self]
    )

    /// `emr bench kafka`
    struct KafkaRoundTrip: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "kafka",
            abstract: "Produce N messages of a given size, consume them back, print both rates.",
            discussion: """
                Uses the project's producer defaults (idempotent, acks=all, lz4). Without --brokers \
                (and EMR_BROKERS unset) it starts an embedded broker in-process.

                Examples:
                  emr bench kafka --messages 200000 --size 600
                  emr bench kafka --brokers $(cat /tmp/emr.bootstrap) --topic emr.bench
                """
        )

        @Option(name: .long, help: "Bootstrap servers; empty starts an embedded broker.")
        var brokers: String = ProcessInfo.processInfo.environment["EMR_BROKERS"] ?? ""

        @Option(name: .long, help: "Topic to use (auto-created by the embedded broker).")
        var topic: String = "emr.bench"

        @Option(name: .long, help: "Number of messages.")
        var messages: Int = 100_000

        @Option(name: .long, help: "Bytes per message value.")
        var size: Int = 600

        @OptionGroup var logging: LoggingOptions

        func validate() throws {
            try OptionChecks.check(messages, "--messages", 1...100_000_000)
            try OptionChecks.check(size, "--size", 0...(1 << 20), unit: " bytes")
        }

        func run() throws {
            let logger = logging.makeLogger("emr.bench")
            var embedded: EmbeddedBroker?
            var servers = brokers
            if servers.isEmpty {
                let broker = try EmbeddedBroker(brokers: 1, logger: logger)
                try broker.createTopic(topic, partitions: 4)
                servers = broker.bootstrapServers
                embedded = broker
                print("embedded broker at \(servers)")
            }
            let bench = RoundTripBenchmark(kafka: KafkaConfiguration(bootstrapServers: servers), topic: topic,
                                           messages: messages, messageBytes: size)
            let result = try bench.run(logger: logger) { print($0) }
            print(String(format: "produce: %d msgs x %d B in %.2f s = %.0f msg/s (%.1f MiB/s)",
                         result.messages, result.messageBytes, result.produceSeconds, result.produceRate, result.produceMiBPerSecond))
            print(String(format: "consume: %d msgs x %d B in %.2f s = %.0f msg/s (%.1f MiB/s)",
                         result.consumed, result.messageBytes, result.consumeSeconds, result.consumeRate, result.consumeMiBPerSecond))
            if result.consumed != result.messages {
                throw RuntimeFailure("consumed \(result.consumed) of \(result.messages) messages")
            }
            withExtendedLifetime(embedded) {}
        }
    }
}
