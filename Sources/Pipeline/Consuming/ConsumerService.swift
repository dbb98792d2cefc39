import Foundation
import Kafka
import Logging
import Marts
import State

/// Settings of `emr consume`.
public struct ConsumeOptions: Sendable {
    public var statePath: String
    public var groupID = "emr-consumer"
    /// Static group membership (container orchestrators): a restart within the session
    /// timeout gets its partitions back without a rebalance.
    public var instanceID: String?
    /// Most messages per batch (one SQLite transaction).
    public var batchSize = 2_000
    /// Longest wait for a batch to fill before it is applied.
    public var maxBatchLatencyMs: Int32 = 250
    /// Stop (exit 0) once every assigned partition is processed up to its high watermark and
    /// nothing new arrived for `quietPeriodMs`.
    public var exitWhenCaughtUp = false
    public var quietPeriodMs = 2_000
    public var readmissionWindowDays: Int64 = 7

    public init(statePath: String) {
        self.statePath = statePath
    }
}

/// Progress of a running consumer.
public struct ConsumeProgress: Sendable {
    public var totals: BatchOutcome
    public var batches: Int
    public var elapsedSeconds: Double
    public var assigned: Int
    /// Time spent applying batches (SQLite), the rest is waiting for and reading messages.
    public var applySeconds: Double = 0
    /// From the first message received to the end of the last batch applied (excludes joining
    /// the group and idle waiting at the end).
    public var activeSeconds: Double = 0
    public var rate: Double { activeSeconds > 0 ? Double(totals.read) / activeSeconds : 0 }
}

/// The consumer loop: poll ▸ decode ▸ stage ▸ apply ▸ checkpoint (one SQLite transaction per
/// batch) ▸ commit to Kafka for lag visibility. Partitions start from the offsets stored in the
/// state file on every assignment, so a restart resumes exactly after the last committed batch.
public final class ConsumerService {
    public let options: ConsumeOptions
    private let kafka: KafkaConfiguration
    private let decoder: RecordDecoder
    private let logger: Logger

    public init(options: ConsumeOptions, kafka: KafkaConfiguration, catalog: TopicCatalog, logger: Logger) throws {
        self.options = options
        self.kafka = kafka
        self.decoder = try RecordDecoder(catalog: catalog)
        self.logger = logger
    }

    /// Runs until `shouldStop` returns true (checked between batches) or, with
    /// `exitWhenCaughtUp`, until caught up. Returns the totals of this run.
    public func run(progress: (ConsumeProgress) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> ConsumeProgress {
        let store = try StateStore(path: options.statePath, migrations: MartSchema.migrations)
        let maintainer = try MartMaintainer(database: store.database, readmissionWindowDays: options.readmissionWindowDays)
        var stored: [TopicPartition: Int64] = [:]
        for (topic, partitions) in try store.storedOffsets() {
            for (partition, next) in partitions { stored[TopicPartition(topic, partition)] = next }
        }
        let book = OffsetBook(stored)
        let applier = BatchApplier(store: store, maintainer: maintainer, decoder: decoder, book: book)

        var configuration = ConsumerConfiguration(kafka: kafka, groupID: options.groupID)
        configuration.groupInstanceID = options.instanceID
        let logger = self.logger
        let consumer = try KafkaConsumer(configuration: configuration, logger: logger, hooks: RebalanceHooks(
            onAssign: { partitions in
                // The state file is the truth: a partition it has never seen starts at the
                // beginning of the log, never at the group's committed offset (which may belong
                // to another state file).
                let stored = book.offsets(for: partitions)
                logger.info("assigned \(partitions.count) partitions; \(stored.count) resume from the state file's offsets, the rest from the beginning")
                return partitions.reduce(into: [:]) { offsets, tp in offsets[tp] = stored[tp] ?? KafkaOffset.beginning }
            },
            onRevoke: { partitions, lost in
                logger.info("\(lost ? "lost" : "revoked") \(partitions.count) partitions")
            }))
        defer { consumer.close() }
        try consumer.subscribe(topics: decoder.topics)
        logger.info("consuming \(decoder.topics.joined(separator: ", ")) into \(options.statePath) as group \(options.groupID)")

        let started = ContinuousClock.now
        var state = ConsumeProgress(totals: BatchOutcome(), batches: 0, elapsedSeconds: 0, assigned: 0)
        var lastArrival = ContinuousClock.now
        var firstArrival: ContinuousClock.Instant?
        while !shouldStop() {
            let batch = try consumer.poll(maxMessages: options.batchSize, timeoutMs: options.maxBatchLatencyMs)
            state.elapsedSeconds = (ContinuousClock.now - started) / .seconds(1)
            state.assigned = consumer.assignment.count
            if batch.isEmpty {
                if options.exitWhenCaughtUp, ContinuousClock.now - lastArrival >= .milliseconds(options.quietPeriodMs),
                   try caughtUp(consumer, book) {
                    break
                }
                progress(state)
                continue
            }
            lastArrival = .now
            if firstArrival == nil { firstArrival = lastArrival }
            let applyStarted = ContinuousClock.now
            let outcome = try applier.apply(batch)
            state.applySeconds += (ContinuousClock.now - applyStarted) / .seconds(1)
            state.totals += outcome
            state.batches += 1
            state.activeSeconds = (ContinuousClock.now - firstArrival!) / .seconds(1)
            let commitStarted = ContinuousClock.now
            defer { logger.debug("batch of \(batch.count): apply \(applyStarted.duration(to: commitStarted)), commit \(commitStarted.duration(to: .now))") }
            do {
                try consumer.commit(outcome.offsets)
            } catch {
                logger.warning("committing offsets to Kafka failed (the state file has them; only lag reporting is affected): \(error)")
            }
            progress(state)
        }
        state.elapsedSeconds = (ContinuousClock.now - started) / .seconds(1)
        return state
    }

    /// True when partitions are assigned and each is processed up to its high watermark.
    private func caughtUp(_ consumer: KafkaConsumer, _ book: OffsetBook) throws -> Bool {
        let assignment = consumer.assignment
        guard !assignment.isEmpty else { return false }
        for tp in assignment {
            let marks = try consumer.cachedWatermarks(tp) ?? consumer.watermarks(tp)
            if (book.next(tp) ?? marks.low) < marks.high { return false }
        }
        return true
    }
}
