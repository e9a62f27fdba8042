//! The roles members hold on the roster.

word_enum!(
    /// A member's role on the roster.
    Role, "role" {
        /// Board member.
        Board = "board",
        /// Steering committee.
        Sc = "sc",
        /// Treasurer.
        Treasurer = "treasurer",
        /// Community team member.
        Team = "team",
    }
);
