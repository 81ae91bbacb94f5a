"""What the product writes for people, one way each: emails (HTML and text), a rendering shared by
many recipients, Adaptive Cards and PDFs."""
