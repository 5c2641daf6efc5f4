"""PDFs in Chinese with reportlab: the built-in font, escaping, and page numbers."""

# reportlab's built-in Adobe CID font for Simplified Chinese: no font file to ship or install,
# every PDF reader has it.
PDF_FONT = "STSong-Light"


def pdf_font() -> str:
    """The CID font's name, registered with reportlab on first use."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if PDF_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(PDF_FONT))
    return PDF_FONT


def escape(text: str) -> str:
    """Text for a reportlab Paragraph, which reads markup."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def numbered_canvas(footer: str):
    """A canvas class that writes ``footer`` (with %(page)s and %(pages)s) under every page,
    once the page count is known: pages are held until the document is saved."""
    from reportlab.pdfgen.canvas import Canvas

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._pages = []

        def showPage(self):
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            for state in self._pages:
                self.__dict__.update(state)
                width, _height = self._pagesize
                self.setFont(pdf_font(), 8)
                text = footer % {"page": self._pageNumber, "pages": len(self._pages)}
                self.drawCentredString(width / 2, 14, text)
                super().showPage()
            super().save()

    return NumberedCanvas
