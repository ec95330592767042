//! Newtype ids: a `PersonId` can never be passed where a `StayId` is expected.

use serde::{Deserialize, Serialize};

macro_rules! id_type {
    ($($name:ident),* $(,)?) => {$(
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    )*};
}

id_type!(
    OrganisationId,
    EstablishmentId,
    ProfessionalId,
    PersonId,
    StayId,
    EventId,
    CarePlanId,
    AppointmentId,
    DocumentId,
    MessageId,
    UserId,
);
