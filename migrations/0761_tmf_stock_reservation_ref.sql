-- TMF687 reads a reserveProductStock's inventory reservations by their request refs
-- (`RPS…-<n>`), released ones included; the only index on request_ref covers live ones. This one
-- also serves the inventory's own look-up of a request's latest reservation.
CREATE INDEX inv_reservation_request_ref ON inv_reservation (request_ref, id);
