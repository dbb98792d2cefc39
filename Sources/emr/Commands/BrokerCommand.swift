import ArgumentParser
import Foundation
import Kafka

/// `emr broker`: the embedded Kafka-protocol broker for development, tests and the demo.
struct BrokerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "broker",
        abstract: "Run an embedded Kafka-protocol broker (librdkafka's mock cluster) until SIGINT/SIGTERM.",
        discussion: """
            Creates every declared topic (built in, or under --topics) before any client can \
            connect, prints the bootstrap address on stdout and writes it to --bootstrap-file. \
            The brokers listen on loopback ports the system picks; --port adds a fixed bootstrap \
            port on 127.0.0.1 (clients bootstrap there, then talk to the brokers' own loopback \
            ports, so they must share this host's network: processes here, or containers with \
            network_mode: host).

            Limits: it keeps about 5 MiB per partition and silently drops older messages; it has no \
            CreateTopics (undeclared topics are auto-created with 4 partitions); transactions are \
            no-ops. It is for development, not for production.

            Examples:
              emr broker
              emr broker --count 3 --bootstrap-file /tmp/emr.bootstrap &
              emr broker --port 9092 &   # then the default --brokers localhost:9092 works
              EMR_BROKERS=$(cat /tmp/emr.bootstrap) emr topics verify
            """
    )

    @Option(name: .long, help: "Number of brokers in the cluster (1 to 3).")
    var count: Int32 = 1

    @Option(name: .long, help: ArgumentHelp("Write the bootstrap address to this file (atomically).", valueName: "file"))
    var bootstrapFile: String?

    @Option(name: .long, help: ArgumentHelp("A fixed bootstrap port on 127.0.0.1 (relayed to the first broker).", valueName: "port"))
    var port: Int?

    @OptionGroup var topics: TopicsDirectoryOption
    @OptionGroup var logging: LoggingOptions

    func validate() throws {
        guard (1...3).contains(count) else { throw ValidationError("--count must be 1, 2 or 3") }
        try OptionChecks.check(port, "--port", 1...65_535)
    }

    func run() throws {
        let logger = logging.makeLogger("emr.broker")
        let catalog = try topics.catalog()
        let broker = try EmbeddedBroker(brokers: count, logger: logger)
        try broker.createTopics(catalog)
        let forwarder = try port.map { try BootstrapForwarder(port: UInt16($0), upstream: broker.bootstrapServers.components(separatedBy: ",")[0], logger: logger) }
        let address = forwarder?.address ?? broker.bootstrapServers
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
        withExtendedLifetime((broker, forwarder)) {}
    }
}
