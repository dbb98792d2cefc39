import ArgumentParser
import Foundation
import Kafka

/// `emr broker`: the embedded Kafka-protocol broker for development, tests and the demo.
struct BrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run an embedded Kafka-protocol broker (librdkafka's mock cluster) until SIGINT/SIGTERM.",
        discussion: """
            Creates every topic declared under --topics before any client can connect, prints the
            bootstrap address on stdout and writes it to --bootstrap-file.

            Limits: it keeps about 5 MiB per partition and silently drops older messages; it has no
            CreateTopics (undeclared topics are auto-created with 4 partitions); transactions are
            no-ops. It is for development, not for production.

            Examples:
              emr broker
              emr broker --count 3 --bootstrap-file /tmp/emr.bootstrap &
              EMR_BROKERS=$(cat /tmp/emr.bootstrap) emr topics verify
            """
    )

    @Option(name: .long, help: "Number of brokers in the cluster (1 to 3).")
    var count: Int32 = 1

    @Option(name: .long, help: ArgumentHelp("Write the bootstrap address to this file (atomically).", valueName: "file"))
    var bootstrapFile: String?

    @OptionGroup var topics: TopicsDirectoryOption
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (1...3).contains(count) else { throw ValidationError("--count must be 1, 2 or 3") }
    }

    func run() throws {
        let logger = logging.makeLogger("emr.broker")
        let catalog = try topics.catalog()
        let broker = try EmbeddedBroker(brokers: count, logger: logger)
        try broker.createTopics(catalog)
        let address = broker.bootstrapServers
        if let bootstrapFile {
            do {
                try Data((address + "\n").utf8).write(to: URL(fileURLWithPath: bootstrapFile), options: .atomic)
            } catch {
                throw RuntimeFailure("\(bootstrapFile): cannot write bootstrap address: \(error.localizedDescription)")
            }
        }
        FileHandle.standardOutput.write(Data((address + "\n").utf8))
        logger.notice("embedded broker (\(count) broker(s)) at \(address) with \(catalog.topics.count) topics: \(catalog.topics.map { "\($0.name)[\($0.partitions)]" }.joined(separator: " "))")
        let signal = SignalWaiter.waitForTermination()
        logger.notice("\(signal): stopping embedded broker")
        if let bootstrapFile { try? FileManager.default.removeItem(atPath: bootstrapFile) }
        withExtendedLifetime(broker) {}
    }
}
