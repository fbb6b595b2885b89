"""The organisers' back-office (`/manage`): the events a person runs and each event's sections."""
