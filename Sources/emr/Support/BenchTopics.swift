import Foundation
import Kafka
import Logging
import Pipeline
import Synthea

/// A generated export on an embedded broker of its own (in this process), with the arguments
/// that point `emr consume` at it: what `emr bench consume` runs the consumer over. Each size
/// of a flat-cost comparison has one, in its own folder.
final class BenchTopics {
    let patients: Int
    /// The folder of its export, topic declarations and state files.
    let directory: String
    let catalog: TopicCatalog
    let broker: EmbeddedBroker
    /// `--brokers`, and `--topics` when the partitions differ from the declared ones.
    let consumeArguments: [String]

    var kafka: KafkaConfiguration { KafkaConfiguration(bootstrapServers: broker.bootstrapServers) }

    /// Generates `patients` patients (seed `seed`) into `directory` and starts the broker with
    /// the raw topics at `partitions` each (as declared when nil).
    init(patients: Int, seed: UInt64, partitions: Int32?, directory: String, logger: Logger) throws {
        self.patients = patients
        self.directory = directory
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let generated = try ExportGenerator(options: GeneratorOptions(patients: patients, organizations: patients / 8 + 1, seed: seed))
            .write(to: "\(directory)/export")
        print("generated \(generated.rows.values.reduce(0, +)) rows for \(patients) patients (seed \(seed))")

        var catalog = try BuiltInTopics.catalog()
        if let partitions {
            catalog = TopicCatalog(topics: catalog.topics.map { topic in
                var topic = topic
                if topic.role == .raw { topic.partitions = partitions }
                return topic
            })
        }
        self.catalog = catalog
        broker = try EmbeddedBroker(brokers: 1, logger: logger)
        try broker.createTopics(catalog)
        consumeArguments = ["--brokers", broker.bootstrapServers]
            + (try partitions.map { ["--topics", try Self.writeTopics(partitions: $0, into: directory)] } ?? [])
    }

    /// Publishes every facility of the export (paced when `rate` is given); returns the count.
    func publish(rate: Double?, logger: Logger) throws -> Int {
        let producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka), logger: logger)
        var options = ProduceOptions(exportDirectory: "\(directory)/export", facilities: nil)
        options.rate = rate
        let produced = try FacilityProducers(options: options, producer: producer, builder: try RecordMessageBuilder(catalog: catalog), logger: logger)
            .run { _ in }
        try? producer.close(timeoutMs: 10_000)
        guard produced.lost == 0 else { throw RuntimeFailure("\(produced.lost) records not delivered") }
        return produced.sentTotal
    }

    /// Reads every raw topic from the start with the project's consumer until `expected`
    /// messages arrived, applying nothing.
    func rawRead(expected: Int, logger: Logger) throws -> (count: Int, seconds: Double) {
        let reader = try KafkaConsumer(configuration: ConsumerConfiguration(kafka: kafka, groupID: "emr-bench-raw-\(getpid())"), logger: logger)
        defer { reader.close() }
        try reader.subscribe(topics: catalog.topics.filter { $0.role == .raw }.map(\.name))
        return try reader.readCount(expected, within: .seconds(300))
    }

    /// The consumer child reads the same partition counts as the broker (written as declarations).
    private static func writeTopics(partitions: Int32, into directory: String) throws -> String {
        let topics = "\(directory)/topics"
        try FileManager.default.createDirectory(atPath: topics, withIntermediateDirectories: true)
        for (name, text) in BuiltInTopics.files {
            let adjusted = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
                line.hasPrefix("partitions=") && text.contains("role=raw") ? "partitions=\(partitions)" : String(line)
            }.joined(separator: "\n")
            try adjusted.write(toFile: "\(topics)/\(name)", atomically: true, encoding: .utf8)
        }
        return topics
    }
}
