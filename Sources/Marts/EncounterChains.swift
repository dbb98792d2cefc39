import State

/// The previous-encounter chains (spec section 6: the encounters of one patient at one
/// organization in one class, by start) numbered once: each current encounter carries its
/// chain's number (`chain_id`), and the index that finds an encounter's neighbours in its chain
/// is keyed by that number and the start. Keyed by the chain's two UUIDs and class instead, the
/// index held about 110 bytes per encounter and was the largest one the consumer writes at
/// random (32 MB at 6,000 patients, the size of the page cache then); by number it holds about 30.
///
/// The numbers mean nothing outside one state file (a merged or exported copy has none): only
/// the incremental path reads them. The batch definition (`emr verify`) finds the previous
/// encounter by the chain's columns with a window, so it checks the numbering as well.
public enum EncounterChains {
    /// Migration 8: the chains of the encounters already there, their numbers, the index by number.
    static let migration = """
        CREATE TABLE encounter_chains (
            chain_id INTEGER PRIMARY KEY, patient_id TEXT NOT NULL, organization_id TEXT NOT NULL, class_name TEXT NOT NULL,
            UNIQUE (patient_id, organization_id, class_name));
        ALTER TABLE current_encounters ADD COLUMN chain_id INTEGER;
        INSERT INTO encounter_chains (patient_id, organization_id, class_name)
            SELECT DISTINCT patient_id, organization_id, class_name FROM current_encounters
            WHERE patient_id IS NOT NULL AND organization_id IS NOT NULL AND class_name IS NOT NULL;
        UPDATE current_encounters SET chain_id = (SELECT c.chain_id FROM encounter_chains c WHERE c.patient_id = current_encounters.patient_id
            AND c.organization_id = current_encounters.organization_id AND c.class_name = current_encounters.class_name);
        DROP INDEX current_encounters_chain;
        CREATE INDEX current_encounters_chain ON current_encounters (chain_id, start_at);
        """

    /// The chain's columns among the current encounter's columns (``MartSchema/currentColumns(_:)``).
    static let columns = ["patient_id", "organization_id", "class_name"]

    /// The number of the chain whose columns are bound (in the order of ``columns``)...
    static let numberSQL = SQLText("SELECT chain_id FROM encounter_chains WHERE patient_id = ?1 AND organization_id = ?2 AND class_name = ?3")
    /// ...or a new one.
    static let newNumberSQL = SQLText("INSERT INTO encounter_chains (patient_id, organization_id, class_name) VALUES (?1, ?2, ?3)")

    /// The number of the chain of these values of ``columns``, given one if it has none; NULL
    /// when a part is NULL (such an encounter has no chain, as before: `=` never holds for NULL).
    /// A new chain's number is the row id its insert gave (`RETURNING` cost about 11 µs an
    /// insert, five times the insert itself).
    static func number(of chain: [SQLiteValue], in database: SQLiteDatabase) throws -> SQLiteValue {
        guard !chain.contains(.null) else { return .null }
        if let number = try database.prepare(numberSQL).bind(chain).firstValue() { return number }
        try database.prepare(newNumberSQL).bind(chain).run()
        return .integer(database.lastInsertedRowID)
    }

    /// What `emr verify` calls the check of the numbers.
    public static let checkName = "encounter_chains"

    /// Each current encounter with its chain's columns (the check's batch side)...
    static let expected = "SELECT natural_key, patient_id, organization_id, class_name FROM current_encounters"
    /// ...and with those of the chain its number names (the incremental side).
    static let numbered = """
        SELECT e.natural_key, c.patient_id, c.organization_id, c.class_name
        FROM current_encounters e LEFT JOIN encounter_chains c ON c.chain_id = e.chain_id
        """
}
