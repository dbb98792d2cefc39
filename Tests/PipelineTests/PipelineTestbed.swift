import Chronology
import Foundation
import Kafka
import Logging
import Marts
import Pipeline
import Staging
import State
import Synthea
import TestSupport
import Testing

/// An embedded broker with the declared topics, a producer, and the helpers the consumer tests
/// share: CloudEvents headers, a clean batch application of final versions, and a row-by-row
/// comparison of all 11 marts.
struct PipelineTestbed {
    let logger: Logger
    let catalog: TopicCatalog
    let broker: EmbeddedBroker
    let kafka: KafkaConfiguration
    let producer: KafkaProducer
    let topics: [Entity: String]
    let work: String

    init(label: String) throws {
        var logger = Logger(label: "test")
        // EMR_TEST_LOG=info (or debug, warning...) shows the service's and librdkafka's log lines.
        logger.logLevel = ProcessInfo.processInfo.environment["EMR_TEST_LOG"].flatMap(Logger.Level.init(rawValue:)) ?? .critical
        self.logger = logger
        catalog = try TopicCatalog.load(directory: packageRoot.appendingPathComponent("topics").path)
        broker = try EmbeddedBroker(logger: logger)
        try broker.createTopics(catalog)
        kafka = KafkaConfiguration(bootstrapServers: broker.bootstrapServers)
        producer = try KafkaProducer(configuration: ProducerConfiguration(kafka: kafka), logger: logger)
        topics = try RecordMessageBuilder(catalog: catalog).topics
        work = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
    }

    func removeWork() { try? FileManager.default.removeItem(atPath: work) }

    /// A Synthea-format export from the project's generator in this bed's work directory, for
    /// tests that need realistic records but not a particular real export (they never skip).
    func generatedExport(patients: Int = 16, seed: UInt64) throws -> String {
        let directory = "\(work)/export"
        _ = try ExportGenerator(options: GeneratorOptions(patients: patients, organizations: 3, seed: seed)).write(to: directory)
        return directory
    }

    func partitions(of entity: Entity) -> Int32 {
        catalog.topics.first { $0.name == topics[entity] }!.partitions
    }

    /// A record as published: entity, raw row, `ce_time`.
    typealias Record = (entity: Entity, row: [String: String], ceTimeMs: Int64)

    /// Every row of an export with `ce_time`s 10 ms apart, in file order.
    static func timedRows(_ directory: String) throws -> [Record] {
        try rows(directory).enumerated().map { index, r in (r.0, r.1, 1_750_000_000_010 + Int64(index) * 10) }
    }

    /// Every row of an export, entity by entity.
    static func rows(_ directory: String) throws -> [(Entity, [String: String])] {
        let export = try SyntheaExport(directory: directory)
        var rows: [(Entity, [String: String])] = []
        for entity in Entity.allCases {
            try export.forEachRow(entity) { rows.append((entity, Dictionary(uniqueKeysWithValues: zip($0.header.names, $0.values)))) }
        }
        return rows
    }

    /// The CloudEvents headers a facility producer sets.
    static func cloudEvent(_ entity: Entity, ceTimeMs: Int64) -> [KafkaHeader] {
        [
            KafkaHeader(CloudEventHeader.specVersion, "1.0"),
            KafkaHeader(CloudEventHeader.id, UUID().uuidString),
            KafkaHeader(CloudEventHeader.source, "/emr-stream/tests"),
            KafkaHeader(CloudEventHeader.type, entity.rawValue),
            KafkaHeader(CloudEventHeader.time, CivilTime.formatTimestamp(milliseconds: ceTimeMs)),
            KafkaHeader(CloudEventHeader.contentType, "application/json"),
        ]
    }

    /// A valid raw message for a row.
    func message(_ entity: Entity, _ row: [String: String], ceTimeMs: Int64, partition: Int32) throws -> OutgoingMessage {
        OutgoingMessage(topic: topics[entity]!, partition: .explicit(partition),
                        key: Array(EntitySchema.of(entity).naturalKey(of: row).utf8),
                        value: Array(try JSONSerialization.data(withJSONObject: row)),
                        headers: Self.cloudEvent(entity, ceTimeMs: ceTimeMs))
    }

    /// Produces a valid message for the row to a random partition of its entity's topic.
    func publish(_ entity: Entity, _ row: [String: String], ceTimeMs: Int64, random: inout SeededRandom) throws {
        try producer.produce(try message(entity, row, ceTimeMs: ceTimeMs, partition: Int32(random.int(0...Int(partitions(of: entity) - 1)))))
    }

    /// Publishes every record to a random partition of its topic and waits for delivery.
    func publishAll(_ records: some Sequence<Record>, random: inout SeededRandom) throws {
        for r in records { try publish(r.entity, r.row, ceTimeMs: r.ceTimeMs, random: &random) }
        try producer.flush(timeoutMs: 30_000)
    }

    /// Runs the consumer service on a state file until it has caught up.
    func consumeUntilCaughtUp(_ path: String, batchSize: Int, configure: (inout ConsumeOptions) -> Void = { _ in }) throws -> ConsumeProgress {
        var options = ConsumeOptions(statePath: path)
        options.exitWhenCaughtUp = true
        options.quietPeriodMs = 500
        options.batchSize = batchSize
        configure(&options)
        return try ConsumerService(options: options, kafka: kafka, catalog: catalog, logger: logger).run()
    }

    /// A state file built directly (no Kafka) from the latest version of every key.
    static func cleanRun(_ records: [Record], path: String, context: String) throws -> StateStore {
        var latest: [String: Record] = [:]
        for r in records {
            let id = "\(r.entity.rawValue)#\(EntitySchema.of(r.entity).naturalKey(of: r.row))"
            if let current = latest[id], current.ceTimeMs >= r.ceTimeMs { continue }
            latest[id] = r
        }
        let clean = try StateStore(path: path, migrations: MartSchema.migrations)
        let maintainer = try MartMaintainer(database: clean.database)
        try clean.inBatch { _ in
            try maintainer.batch {
                for (offset, r) in latest.values.sorted(by: { $0.ceTimeMs < $1.ceTimeMs }).enumerated() {
                    guard case .accepted(let record) = Stager.stage(r.entity, value: r.row, key: nil) else {
                        Issue.record("\(context): rejected \(r.row)")
                        continue
                    }
                    try maintainer.apply(record, at: SourcePosition(topic: "clean", partition: 0, offset: Int64(offset), ingestedMs: r.ceTimeMs))
                }
            }
        }
        #expect(try clean.database.scalar("SELECT count(*) FROM fact_patient_encounters")?.int ?? 0 > 0, "\(context): the clean run is empty")
        return clean
    }

    /// Every mart row for row: `verify` passes on `consumed`, and it equals `clean`.
    static func expectMartsEqual(_ consumed: SQLiteDatabase, _ clean: SQLiteDatabase, context: String) throws {
        for comparison in try MartVerifier(database: consumed).verify() {
            #expect(comparison.matches, "\(context): \(comparison.mart) \(comparison.examples)")
        }
        for mart in MartCatalog.all {
            let sql = "SELECT \(mart.columns.joined(separator: ", ")) FROM \(mart.name) ORDER BY \(mart.grain.joined(separator: ", "))"
            let a = try consumed.prepare(sql).rows(), b = try clean.prepare(sql).rows()
            #expect(a.count == b.count, "\(context): \(mart.name) \(a.count) rows, clean run \(b.count)")
            #expect(a == b, "\(context): \(mart.name) differs from the clean run")
        }
    }

}
