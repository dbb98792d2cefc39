/// Staged field names that code outside the staging schema reads by name (rules in staging,
/// derived values in the marts). Declared once here and used by the schema too, so a renamed
/// field cannot leave a reader looking for the old name.
public enum StagedField {
    public static let birthDate = "birth_date"
    public static let startAt = "start_at"
    public static let stopAt = "stop_at"
    public static let encounterClass = "encounter_class"
    /// An encounter's patient and organization (with its class, the encounter's chain).
    public static let patientID = "patient_id"
    public static let organizationID = "organization_id"
    /// A condition's description (parsed into description and type by the marts).
    public static let description = "description"
}
