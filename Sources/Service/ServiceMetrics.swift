import Foundation
import Kafka
import Marts
import Pipeline
import Prometheus
import Staging
import State
import Synchronization
import Synthea

/// The consumer's Prometheus metrics. Counters and histograms move as batches commit; gauges
/// that describe the state file (mart rows, quarantine) or the loop (readiness, lag, offsets)
/// are refreshed when scraped. Made on swift-prometheus's registry directly: every metric
/// carries its `# HELP` line, which `promtool check metrics` requires and swift-metrics'
/// facade cannot pass on.
public final class ServiceMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    private let batchDuration: DurationHistogram
    private let batchRecords: ValueHistogram
    private let deadLetters: Counter
    private let lastIngested: Gauge
    private let process: ProcessMetrics
    /// The per-partition gauges of the last scrape, so revoked partitions can be removed.
    private let partitionGauges = Mutex<[TopicPartition: [Gauge]]>([:])

    static let outcomes = ["applied", "unchanged", "rejected"]

    public init() {
        batchDuration = registry.makeDurationHistogram(
            name: "emr_batch_duration_seconds", labels: [],
            buckets: [.milliseconds(5), .milliseconds(10), .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250),
                      .milliseconds(500), .seconds(1), .seconds(2), .seconds(5), .seconds(10)],
            help: "Time to apply one batch (decode, stage, marts, dead letters, commit), seconds")
        batchRecords = registry.makeValueHistogram(
            name: "emr_batch_records", labels: [], buckets: [1, 10, 50, 100, 250, 500, 1_000, 2_000, 5_000, 10_000],
            help: "Messages per applied batch")
        deadLetters = registry.makeCounter(name: "emr_dead_letters_total", labels: [], help: "Refused records published to the dead-letter topic")
        lastIngested = registry.makeGauge(
            name: "emr_last_ingested_timestamp_seconds", labels: [],
            help: "Newest ingested_at among the records applied by this process (Unix seconds): freshness")
        process = ProcessMetrics(registry: registry)
        for entity in Entity.allCases.map(\.rawValue) {
            for outcome in Self.outcomes { _ = records(entity, outcome) }
        }
    }

    private func records(_ entity: String, _ outcome: String) -> Counter {
        registry.makeCounter(name: "emr_records_total", labels: [("entity", entity), ("outcome", outcome)],
                             help: "Records read by outcome: applied (became current), unchanged (redelivered or older), rejected (dead letter)")
    }

    /// Records a committed batch.
    public func batchApplied(_ outcome: BatchOutcome, seconds: Double) {
        batchDuration.record(.nanoseconds(Int64(seconds * 1e9)))
        batchRecords.record(Double(outcome.read))
        for (entity, counts) in outcome.byEntity {
            if counts.applied > 0 { records(entity, "applied").increment(by: Int64(counts.applied)) }
            if counts.unchanged > 0 { records(entity, "unchanged").increment(by: Int64(counts.unchanged)) }
            if counts.rejected > 0 { records(entity, "rejected").increment(by: Int64(counts.rejected)) }
        }
        if outcome.deadLetters > 0 { deadLetters.increment(by: Int64(outcome.deadLetters)) }
        if let newest = outcome.newestIngestedMs { lastIngested.set(max(Double(newest) / 1000, 0)) }
    }

    /// The exposition text, with the scraped gauges refreshed from the loop's status and one
    /// read snapshot of the state file (absent until the consumer created it).
    public func exposition(status: ServiceStatus, reader: StateReader) -> [UInt8] {
        let snapshot = status.snapshot
        registry.makeGauge(name: "emr_ready", labels: [], help: "1 when ready (brokers answer, partitions assigned, last batch written), else 0")
            .set(to: status.readiness.ready ? 1.0 : 0.0)
        var gauges: [TopicPartition: [Gauge]] = [:]
        for p in snapshot.partitions {
            let labels = [("topic", p.topic), ("partition", String(p.partition))]
            var mine: [Gauge] = []
            if let lag = p.lag {
                mine.append(registry.makeGauge(name: "emr_consumer_lag", labels: labels, help: "High watermark minus the state file's next offset, messages"))
                mine.last!.set(Double(lag))
            }
            mine.append(registry.makeGauge(name: "emr_consumer_offset", labels: labels, help: "The state file's next offset to read"))
            mine.last!.set(Double(p.storedOffset ?? 0))
            if snapshot.tasks != nil {
                mine.append(registry.makeGauge(name: "emr_restore_records_remaining", labels: labels,
                                               help: "With --state-dir: records the partition's task still replays to reach the log end seen when it was assigned (0: not restoring)"))
                mine.last!.set(Double(snapshot.restoring[TopicPartition(p.topic, p.partition)] ?? 0))
            }
            gauges[TopicPartition(p.topic, p.partition)] = mine
        }
        // Partitions no longer assigned (revoked in a rebalance) leave the exposition.
        partitionGauges.withLock { previous in
            for (tp, old) in previous where gauges[tp] == nil {
                for gauge in old { registry.unregisterGauge(gauge) }
            }
            previous = gauges
        }
        if let counts = try? reader.read({ db in
            (try MartCatalog.all.map { ($0.name, try db.scalar("SELECT count(*) FROM \($0.name)")?.int ?? 0) },
             try db.scalar("SELECT count(*) FROM quarantine")?.int ?? 0)
        }) {
            for (mart, rows) in counts.0 {
                registry.makeGauge(name: "emr_mart_rows", labels: [("mart", mart)], help: "Rows in each mart").set(Double(rows))
            }
            registry.makeGauge(name: "emr_quarantined_records", labels: [], help: "Records kept in the state file's quarantine")
                .set(Double(counts.1))
        }
        process.refresh()
        return registry.emitToBuffer()
    }
}
