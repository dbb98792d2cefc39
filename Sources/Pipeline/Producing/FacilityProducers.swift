import Chronology
import Foundation
import Kafka
import Logging
import Synthea

/// Settings of one `emr produce` run.
public struct ProduceOptions: Sendable {
    public var exportDirectory: String
    /// Facilities to publish; nil for every organization in organizations.csv.
    public var facilities: Set<String>?
    public var order: PublishOrder = .eventTime
    public var rate: Double?
    public var speedup: Double?
    public var memoryBudget = 16 << 20
    public var flushTimeoutMs: Int32 = 120_000
    /// Longest CSV record, and whether bytes that are not UTF-8 are refused (default) or replaced.
    public var csvLimits = CSVLimits()

    public init(exportDirectory: String, facilities: Set<String>?) {
        self.exportDirectory = exportDirectory
        self.facilities = facilities
    }
}

/// A snapshot of a run for progress displays.
public struct ProduceProgress: Sendable {
    public var phase: String
    public var sent: [Entity: Int]
    public var total: Int
    public var delivered: Int
    public var failed: Int
    public var elapsed: Duration

    public var sentTotal: Int { sent.values.reduce(0, +) }
    public var rate: Double { elapsed.seconds > 0 ? Double(sentTotal) / elapsed.seconds : 0 }
    /// Seconds left at the current rate; nil before anything was sent.
    public var remainingSeconds: Double? { rate > 0 ? Double(total - sentTotal) / rate : nil }
}

/// What a run did.
public struct ProduceSummary: Sendable {
    public var slice: SliceSummary
    public var sent: [Entity: Int]
    /// Bytes of keys and values published.
    public var sentBytes: Int
    /// Records published per facility (its own `ce_source`).
    public var perFacility: [String: Int]
    public var delivered: Int
    public var failed: Int
    public var undelivered: Int
    public var firstFailure: KafkaError?
    public var elapsed: Duration
    /// Time spent publishing (after slicing and ordering).
    public var publishing: Duration

    public var sentTotal: Int { sent.values.reduce(0, +) }
    /// Records that did not reach Kafka (failed or never acknowledged).
    public var lost: Int { failed + undelivered }
}

/// Publishes the slices of many facilities from one export.
///
/// Each facility is its own logical producer (its own `ce_source`, its own counts); they run
/// concurrently in this process, interleaved on one event timeline (so pacing by event time
/// keeps every facility in step), sharing one idempotent librdkafka client: one connection
/// pool and delivery thread instead of one per facility.
public final class FacilityProducers {
    private let options: ProduceOptions
    private let producer: KafkaProducer
    private let builder: RecordMessageBuilder
    private let logger: Logger

    public init(options: ProduceOptions, producer: KafkaProducer, builder: RecordMessageBuilder, logger: Logger) {
        self.options = options
        self.producer = producer
        self.builder = builder
        self.logger = logger
    }

    /// Prepared records handed to the sender at a time.
    static let batchSize = 256

    public func run(progress: (ProduceProgress) -> Void) throws -> ProduceSummary {
        let started = ContinuousClock.now
        let export = try SyntheaExport(directory: options.exportDirectory, limits: options.csvLimits)
        let slicer = FacilitySlicer(export: export, options: SliceOptions(
            facilities: options.facilities, order: options.order, memoryBudget: options.memoryBudget))
        let (stream, slice) = try slicer.slice { phase in
            progress(ProduceProgress(phase: phase, sent: [:], total: 0, delivered: 0, failed: 0, elapsed: .now - started))
        }
        if !slice.unknownFacilities.isEmpty {
            throw PipelineError.unknownFacilities(file: export.path(of: .organizations), ids: slice.unknownFacilities)
        }

        let sendStart = ContinuousClock.now
        let sender = MessageSender(producer: producer, pacer: Pacer(rate: options.rate, speedup: options.speedup), logger: logger) {
            "\($0.entity.rawValue) \(export.path(of: $0.entity)):\($0.line)"
        }
        var lastReport = ContinuousClock.now
        func snapshot(_ phase: String, _ sent: [Entity: Int]) -> ProduceProgress {
            let stats = producer.statistics
            return ProduceProgress(phase: phase, sent: sent, total: slice.total, delivered: stats.delivered,
                                   failed: stats.failed, elapsed: .now - sendStart)
        }
        func report() {
            guard ContinuousClock.now - lastReport > .milliseconds(200) else { return }
            lastReport = .now
            progress(snapshot("publishing", sender.outcome.sent))
        }
        // This thread reads the ordered slices and prepares messages; the sender sends them.
        var batch: [PreparedRecord] = []
        batch.reserveCapacity(Self.batchSize)
        var columns = MessageColumns()
        while let record = try stream.next() {
            batch.append(builder.prepare(record, columns: &columns))
            if batch.count == Self.batchSize {
                try sender.submit(batch, whileWaiting: report)
                batch.removeAll(keepingCapacity: true)
                report()
            }
        }
        if !batch.isEmpty { try sender.submit(batch, whileWaiting: report) }
        let sent = try sender.finish()
        progress(snapshot("flushing", sent.sent))
        var flushError: KafkaError?
        do {
            try producer.flush(timeoutMs: options.flushTimeoutMs)
        } catch {
            flushError = error
            logger.error("\(error.message)")
        }
        let stats = producer.statistics
        progress(snapshot("done", sent.sent))
        return ProduceSummary(slice: slice, sent: sent.sent, sentBytes: sent.sentBytes, perFacility: sent.perFacility, delivered: stats.delivered,
                              failed: stats.failed + sent.refused, undelivered: stats.inFlight,
                              firstFailure: sent.firstRefusal ?? stats.firstFailure ?? flushError,
                              elapsed: .now - started, publishing: .now - sendStart)
    }
}
