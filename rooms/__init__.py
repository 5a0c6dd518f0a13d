"""Consultation rooms and seats: joins the records (app/) to the relay (rtc/)."""
